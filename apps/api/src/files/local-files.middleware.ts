import type { NextFunction, Request, Response } from 'express';
import type { StorageSettings } from '@atelier/config';
import { ObjectNotFoundError, type LocalStorage } from '@atelier/storage';
import { verifyLocalSignature } from '@atelier/storage';
import { readFileRequest } from './file-request-problem.js';
import { streamUploadToStorage, UploadTooLargeError } from './stream-upload.js';

/** Serves local-driver objects behind the same presigned-URL contract S3 gives. */
export function localFilesHandler(storage: LocalStorage, settings: Extract<StorageSettings, { driver: 'local' }>, maxUploadBytes: number) {
  return async (request: Request, response: Response, next: NextFunction): Promise<void> => {
    try {
      const named = readFileRequest(request);
      if ('problem' in named) {
        const { status, ...error } = named.problem;
        response.status(status).json({ error });
        return;
      }
      const { key } = named;
      const expires = Number(request.query.expires);
      const signature = String(request.query.signature ?? '');
      if (request.method === 'PUT') {
        if (!verifyLocalSignature(`put:${key}`, expires, signature, settings.signingSecret, new Date())) {
          response.status(403).json({ error: { code: 'invalid_signature', message: 'upload URL signature is invalid or expired' } });
          return;
        }
        try {
          await streamUploadToStorage(request, storage, key, named.contentType, maxUploadBytes);
        } catch (error) {
          if (!(error instanceof UploadTooLargeError)) throw error;
          response.setHeader('Connection', 'close');
          response.status(413).json({ error: { code: error.code, message: error.message } });
          return;
        }
        response.status(200).end();
        return;
      }
      if (!verifyLocalSignature(key, expires, signature, settings.signingSecret, new Date())) {
        response.status(403).json({ error: { code: 'invalid_signature', message: 'URL signature is invalid or expired' } });
        return;
      }
      const object = await storage.read(key);
      response.setHeader('Content-Type', object.contentType);
      response.setHeader('Cache-Control', 'private, max-age=300');
      response.end(object.body);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) {
        response.status(404).json({ error: { code: 'not_found', message: 'no such object' } });
        return;
      }
      next(error);
    }
  };
}
