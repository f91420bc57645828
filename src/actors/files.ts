/**
 * File workers, invoked once per connected session. They receive the bytes in an event and keep
 * them only in memory, so no file content ever lands in the machine's context or in a persisted
 * snapshot (a promise actor's input would be persisted while in flight). On start each worker
 * reports `*.ready`, which tells the machine that anything it believed in flight was lost (a
 * page reload): unfinished uploads fail visibly, unfinished downloads are started again.
 */
import { fromCallback } from 'xstate';
import type { ChatActorEvent, DownloadWorkerEvent, UploadWorkerEvent } from '../../machines/chatSession.types.js';
import { toErrorInfo } from '../../machines/chatSession.validation.js';
import { clientOf, type ClientSource } from './source.js';
import type { AiccClient } from '../client/types.js';

function worker<TReceived extends { type: string }>(
  ready: ChatActorEvent,
  source: ClientSource,
  run: (client: AiccClient, event: TReceived, signal: AbortSignal, send: (event: ChatActorEvent) => void) => Promise<void>,
) {
  return fromCallback<TReceived, void>(({ sendBack, receive, system }) => {
    const client = clientOf(source, system);
    const controller = new AbortController();
    const { signal } = controller;
    const send = (event: ChatActorEvent): void => {
      if (!signal.aborted) sendBack(event);
    };
    receive((event) => {
      void run(client, event, signal, send);
    });
    send(ready);
    return () => controller.abort();
  });
}

export function uploadFileActor(source: ClientSource) {
  return worker<UploadWorkerEvent>({ type: 'upload.ready' }, source, async (client, event, signal, send) => {
    if (event.type !== 'upload.start') return;
    try {
      const { objectKey } = await client.uploadFileStream({ fileType: event.fileType, data: event.data }, { signal });
      send({ type: 'upload.done', localId: event.localId, objectKey });
    } catch (error) {
      send({ type: 'upload.failed', localId: event.localId, error: toErrorInfo(error) });
    }
  });
}

export function downloadFileActor(source: ClientSource) {
  return worker<DownloadWorkerEvent>({ type: 'download.ready' }, source, async (client, event, signal, send) => {
    if (event.type !== 'download.start') return;
    try {
      const file = await client.downloadFileStream(event.file, { signal });
      send({ type: 'download.done', key: event.key, bytes: file.bytes, fileType: file.fileType, fileUrl: file.fileUrl });
    } catch (error) {
      send({ type: 'download.failed', key: event.key, error: toErrorInfo(error) });
    }
  });
}
