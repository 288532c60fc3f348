import type { NextFunction, Request, Response } from 'express';
import type { StorageSettings } from '#libs/config/src/index.js';
import { ObjectNotFoundError, type LocalStorage } from '#libs/storage/src/index.js';
import { verifyLocalSignature } from '#libs/storage/src/index.js';
import { readFileRequest } from './file-request-problem.js';

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
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of request) {
          size += (chunk as Buffer).length;
          if (size > maxUploadBytes) {
            response.status(413).json({ error: { code: 'body_too_large', message: `uploads are limited to ${maxUploadBytes} bytes` } });
            return;
          }
          chunks.push(chunk as Buffer);
        }
        await storage.put(key, Buffer.concat(chunks), named.contentType);
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
