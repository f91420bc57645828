/**
 * uploadFileStream and downloadFileStream: Base64 inside JSON (docs/protocol.md#49-uploadfilestream,
 * docs/protocol.md#47-downloadfilestream).
 */
import {
  CHANNEL,
  DOWNLOAD_FILE_TYPES,
  DownloadResultCode,
  ResultDesc,
  UploadReturnCode,
  type DownloadFileRequest,
  type DownloadFileResponse,
  type UploadFileRequest,
  type UploadFileResponse,
  type WireFields,
} from '../../client/protocol.js';
import { decodeStrictBase64, encodeBase64, normalizeUploadType, sameFileType } from '../files.js';
import { newObjectKey } from '../ids.js';
import { InferredDesc } from '../texts.js';
import { checkString, firstIssue } from '../validate.js';
import { conventionCode, ok, rejectWith, type Handler } from './context.js';

function uploadAnswer(returnCode: string, resultDesc: string): UploadFileResponse {
  return { returnCode, resultDesc };
}

export const uploadFileStream: Handler = (ctx, world) => {
  const body: WireFields<UploadFileRequest> = ctx.body;
  const issue = firstIssue(
    checkString(body, 'fileType'),
    checkString(body, 'fileStream'),
    checkString(body, 'channel', { equals: CHANNEL }),
  );
  if (issue) {
    const code = conventionCode(issue);
    const desc = code === UploadReturnCode.PARAMETER_MISSING ? InferredDesc.parameterMissing : InferredDesc.parameterError;
    return rejectWith(ctx, issue, uploadAnswer(code, `${desc}: ${issue.message}`));
  }
  const rawType = body['fileType'] as string;
  const fileType = normalizeUploadType(rawType);
  if (fileType === undefined) {
    return rejectWith(
      ctx,
      { kind: 'value', field: 'fileType', message: `fileType "${rawType}" is not an upload type (jpg, png, bmp, mp3, aac, mp4, txt, csv)` },
      uploadAnswer(UploadReturnCode.PARAMETER_ERROR, InferredDesc.parameterError),
    );
  }
  const stream = body['fileStream'] as string;
  const bytes = decodeStrictBase64(stream);
  if (bytes === undefined || bytes.length === 0) {
    const why = stream.startsWith('data:')
      ? 'fileStream must be bare Base64, without a data-URI prefix'
      : 'fileStream must be standard Base64 (A-Z a-z 0-9 + /, padded, no whitespace)';
    return rejectWith(ctx, { kind: 'value', field: 'fileStream', message: why }, uploadAnswer(UploadReturnCode.PARAMETER_ERROR, InferredDesc.parameterError));
  }
  // The docs state no upload limit; the cap is configurable [inferred].
  if (bytes.length > world.config.uploadMaxBytes) {
    return ok(uploadAnswer(UploadReturnCode.FAILED, `${InferredDesc.uploadFailed} (${bytes.length} > ${world.config.uploadMaxBytes} bytes)`));
  }
  const objectKey = newObjectKey();
  world.files.put({ key: objectKey, bytes, fileType, origin: 'customer', userId: ctx.userId });
  return ok({ returnCode: UploadReturnCode.SUCCESS, objectKey } satisfies UploadFileResponse);
};

function downloadAnswer(resultCode: string, resultDesc: string): DownloadFileResponse {
  return { resultCode, resultDesc };
}

export const downloadFileStream: Handler = (ctx, world) => {
  const body: WireFields<DownloadFileRequest> = ctx.body;
  const fileIdIssue = checkString(body, 'fileId');
  if (fileIdIssue) {
    return rejectWith(ctx, fileIdIssue, downloadAnswer(DownloadResultCode.OBJECT_KEY_NULL, ResultDesc.objectKeyNull));
  }
  const channelIssue = checkString(body, 'channel', { equals: CHANNEL });
  if (channelIssue) {
    return rejectWith(ctx, channelIssue, downloadAnswer(DownloadResultCode.PARAMETER_NULL, ResultDesc.downloadParamNull));
  }
  const typeIssue = checkString(body, 'fileType');
  if (typeIssue) {
    return rejectWith(ctx, typeIssue, downloadAnswer(DownloadResultCode.FAILED, ResultDesc.fileTypeOutOfRange));
  }
  const fileType = (body['fileType'] as string).toLowerCase();
  if (!(DOWNLOAD_FILE_TYPES as readonly string[]).includes(fileType)) {
    return ok(downloadAnswer(DownloadResultCode.FAILED, ResultDesc.fileTypeOutOfRange));
  }
  const multiMedia = body['multiMedia'];
  if (multiMedia !== undefined && multiMedia !== null && multiMedia !== 'multiMedia') {
    ctx.violate('invalid-value', `multiMedia must be the literal "multiMedia", got ${JSON.stringify(multiMedia)}`);
  }
  const fileId = body['fileId'] as string;
  const failed = downloadAnswer(DownloadResultCode.FAILED, ResultDesc.downloadFailed);
  const isLocal = fileId.startsWith('local/');
  const file = world.files.get(fileId);
  if (!file) return ok(failed);
  if (isLocal && file.origin === 'agent-library') {
    ctx.violate('invalid-value', `"${fileId}" is a media-library file: pass the bare id with multiMedia "multiMedia"`);
    return ok(failed);
  }
  if (!isLocal && file.origin === 'agent-local') {
    ctx.violate('missing-local-prefix', `"${fileId}" is a local file (contentType "1"): pass "local/${fileId}"`);
    return ok(failed);
  }
  if (!isLocal && file.origin === 'agent-library' && multiMedia !== 'multiMedia') {
    ctx.violate('missing-multimedia', `"${fileId}" is a media-library file: multiMedia "multiMedia" is required`);
    return ok(failed);
  }
  // Customer uploads are found either way [inferred].
  if (file.origin === 'agent-local' && !sameFileType(fileType, file.fileType)) {
    ctx.violate('invalid-value', `fileType of a local file must be its mediaFileType "${file.fileType}", got "${fileType}"`);
  }
  if (file.bytes.length === 0) return ok(downloadAnswer(DownloadResultCode.FAILED, ResultDesc.emptyFile));
  // The documented 2 MB default cap; which text the server uses then is not documented [inferred].
  if (file.bytes.length > world.config.downloadMaxBytes) {
    return ok(downloadAnswer(DownloadResultCode.FAILED, ResultDesc.downloadException));
  }
  return ok({ resultCode: DownloadResultCode.SUCCESS, fileStream: encodeBase64(file.bytes) } satisfies DownloadFileResponse);
};
