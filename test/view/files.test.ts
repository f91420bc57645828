/**
 * File helpers: names and MIME types to the API's file types and back, and the same checks (and
 * limits) as the machine's `file.send` and the client's uploadFileStream.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../../machines/chatSession.context.js';
import { normaliseFileType, validateFile } from '../../machines/chatSession.validation.js';
import { createAiccClient } from '../../src/client/client.js';
import { DOWNLOAD_FILE_TYPES, UPLOAD_FILE_TYPES } from '../../src/client/protocol.js';
import { checkFile, fileSendEvent, mimeTypeOf, uploadAccept, uploadFileTypeOf } from '../../src/index.js';
import { input } from '../machine/helpers.js';

describe('file types', () => {
  it('from a File (its name first), a Blob (its MIME type), a name, an extension or a MIME type', () => {
    expect(uploadFileTypeOf(new File(['x'], 'Holiday.JPEG', { type: 'image/png' }))).toBe('jpg');
    expect(uploadFileTypeOf(new File(['x'], 'scan', { type: 'image/png' }))).toBe('png');
    expect(uploadFileTypeOf(new Blob(['x'], { type: 'audio/mpeg' }))).toBe('mp3');
    expect(uploadFileTypeOf(new Blob(['x']))).toBeNull();
    expect(uploadFileTypeOf(new Uint8Array(1))).toBeNull();
    expect(uploadFileTypeOf('report.final.csv')).toBe('csv');
    expect(uploadFileTypeOf('.TXT')).toBe('txt');
    expect(uploadFileTypeOf('mp4')).toBe('mp4');
    expect(uploadFileTypeOf('image/jpg')).toBe('jpg');
    expect(uploadFileTypeOf('text/plain; charset=utf-8')).toBe('txt');
    expect(uploadFileTypeOf('contract.pdf')).toBeNull(); // downloadable, not uploadable
    expect(uploadFileTypeOf('application/pdf')).toBeNull();
    expect(uploadFileTypeOf('README')).toBeNull();
  });

  it('every type the API names has its MIME type, and the upload types come back from it', () => {
    for (const type of DOWNLOAD_FILE_TYPES) expect(mimeTypeOf(type), type).not.toBe('application/octet-stream');
    for (const type of UPLOAD_FILE_TYPES) {
      const back = uploadFileTypeOf(mimeTypeOf(type));
      expect(back, type).not.toBeNull();
      expect(mimeTypeOf(back!)).toBe(mimeTypeOf(type)); // bpm comes back as its twin bmp
    }
    expect(mimeTypeOf('JPEG')).toBe('image/jpeg');
    expect(mimeTypeOf('.png')).toBe('image/png');
    expect(mimeTypeOf('exe')).toBe('application/octet-stream');
  });

  it('the accept attribute lists exactly what the machine takes', () => {
    const accepted = uploadAccept().split(',');
    expect(accepted.every((ext) => normaliseFileType(ext) !== null)).toBe(true);
    expect(new Set(accepted.map((ext) => normaliseFileType(ext)))).toEqual(new Set(UPLOAD_FILE_TYPES.filter((t) => t !== 'bpm')));
    expect(accepted).toContain('.jpeg');
  });
});

describe('file.send events and checks', () => {
  const context = initialTransition(chatSessionMachine, input)[0].context;

  it('fileSendEvent keeps the bytes in the File and names the type', () => {
    const file = new File([new Uint8Array([1, 2])], 'photo.png');
    expect(fileSendEvent(file)).toEqual({ type: 'file.send', data: file, fileType: 'png', name: 'photo.png' });
    const bytes = new Uint8Array([1]);
    expect(fileSendEvent(bytes, 'a.mp3')).toEqual({ type: 'file.send', data: bytes, fileType: 'mp3', name: 'a.mp3' });
    expect(fileSendEvent(new Blob(['x'], { type: 'video/mp4' }))).toMatchObject({ fileType: 'mp4' });
    expect(fileSendEvent(bytes)).toEqual({ type: 'file.send', data: bytes, fileType: '' });
  });

  it('checkFile says what the machine would say, with the machine default limit', () => {
    const cases: [Blob | Uint8Array, string | undefined][] = [
      [new Uint8Array(10), 'a.png'],
      [new Uint8Array(0), 'a.png'],
      [new Uint8Array(10), 'a.exe'],
      [new Uint8Array(10), undefined],
      [new Uint8Array(DEFAULT_MAX_UPLOAD_BYTES), 'big.mp4'],
      [new Uint8Array(DEFAULT_MAX_UPLOAD_BYTES + 1), 'big.mp4'],
      [new Blob(['hello'], { type: 'text/csv' }), undefined],
    ];
    for (const [data, name] of cases) {
      expect(checkFile(data, name === undefined ? {} : { name }), String(name)).toEqual(validateFile(context, fileSendEvent(data, name)));
    }
    expect(checkFile(new Uint8Array(DEFAULT_MAX_UPLOAD_BYTES + 1), { name: 'big.mp4' })).toMatchObject({ code: 'file-too-large' });
    expect(checkFile(new Uint8Array(10), { name: 'a.exe' })).toMatchObject({ code: 'unsupported-file-type' });
    expect(checkFile(new Uint8Array(0), { name: 'a.png' })).toMatchObject({ code: 'invalid-file' });
    expect(checkFile(new Uint8Array(3), { name: 'a.png', maxBytes: 2 })).toMatchObject({ code: 'file-too-large' });
  });

  it('the machine limit is the client limit: a file checkFile accepts, uploadFileStream accepts too', async () => {
    const client = createAiccClient({ baseUrl: 'http://127.0.0.1:9', token: () => 't' });
    const largest = new Uint8Array(DEFAULT_MAX_UPLOAD_BYTES);
    const tooLarge = new Uint8Array(DEFAULT_MAX_UPLOAD_BYTES + 1);
    expect(checkFile(largest, { name: 'a.png' })).toBeNull();
    // The client refuses before sending (validation), or tries and fails on the closed port (network).
    await expect(client.uploadFileStream({ fileType: 'png', data: tooLarge }, { timeoutMs: 2000 })).rejects.toMatchObject({ kind: 'validation', field: 'data' });
    await expect(client.uploadFileStream({ fileType: 'png', data: largest }, { timeoutMs: 2000 })).rejects.not.toMatchObject({ kind: 'validation' });
  });
});
