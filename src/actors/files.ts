/**
 * File workers, started by a connected session only while a transfer of their kind is pending
 * (the machine's startUpload / startDownload). They receive the bytes in an event and keep them
 * only in memory, so no file content ever lands in the machine's context or in a persisted
 * snapshot (a promise actor's input would be persisted while in flight). On start each worker
 * reports `*.ready`: the hello of a worker just started for a transfer, or, from a worker
 * restored with a snapshot, news that anything in flight was lost (a page reload): unfinished
 * uploads fail visibly, unfinished downloads are started again.
 */
import { fromCallback } from 'xstate';
import type { DownloadWorkerEvent, UploadWorkerEvent } from '../../machines/chatSession.contracts.js';
import type { ChatActorEvent } from '../../machines/chatSession.types.js';
import { clientOf, type ClientSource } from './source.js';
import { isAiccError, toErrorInfo } from '../client/errors.js';
import type { AiccClient, FileRef, UploadProgress } from '../client/types.js';

function worker<TReceived extends { type: string }>(
  ready: ChatActorEvent,
  source: ClientSource,
  run: (client: AiccClient, event: TReceived, signal: AbortSignal, send: (event: ChatActorEvent) => void) => Promise<void>,
) {
  return fromCallback<TReceived, void>(({ sendBack, receive, system }) => {
    // Made on the first transfer (a worker restored with a snapshot may never get one).
    let controller: AbortController | undefined;
    let stopped = false;
    const send = (event: ChatActorEvent): void => {
      if (!stopped) sendBack(event);
    };
    receive((event) => {
      controller ??= new AbortController();
      void run(clientOf(source, system), event, controller.signal, send);
    });
    send(ready);
    return () => {
      stopped = true;
      controller?.abort();
    };
  });
}

export function uploadFileActor(source: ClientSource) {
  return worker<UploadWorkerEvent>({ type: 'upload.ready' }, source, async (client, event, signal, send) => {
    if (event.type !== 'upload.start') return;
    try {
      const { localId } = event;
      const onProgress = ({ loaded, total }: UploadProgress): void => send({ type: 'upload.progress', localId, loaded, total });
      const { objectKey } = await client.uploadFileStream({ fileType: event.fileType, data: event.data }, { signal, onProgress });
      send({ type: 'upload.done', localId: event.localId, objectKey });
    } catch (error) {
      send({ type: 'upload.failed', localId: event.localId, error: toErrorInfo(error) });
    }
  });
}

/** The file as referenced, or, when that is refused and another id form is known, that one. */
async function downloadEitherForm(client: AiccClient, file: FileRef, signal: AbortSignal) {
  try {
    return await client.downloadFileStream(file, { signal });
  } catch (error) {
    // Only a refusal (the service answered: "13 empty file!", 404) says the id form was wrong.
    const refused = isAiccError(error) && (error.kind === 'business' || (error.kind === 'http' && error.status !== undefined && error.status < 500));
    if (!file.fallback || !refused || signal.aborted) throw error;
    return client.downloadFileStream({ fileId: file.fallback.fileId, fileType: file.fileType, multiMedia: file.fallback.multiMedia }, { signal });
  }
}

export function downloadFileActor(source: ClientSource) {
  return worker<DownloadWorkerEvent>({ type: 'download.ready' }, source, async (client, event, signal, send) => {
    if (event.type !== 'download.start') return;
    try {
      const file = await downloadEitherForm(client, event.file, signal);
      send({ type: 'download.done', key: event.key, bytes: file.bytes, fileType: file.fileType, fileUrl: file.fileUrl });
    } catch (error) {
      send({ type: 'download.failed', key: event.key, error: toErrorInfo(error) });
    }
  });
}
