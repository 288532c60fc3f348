import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { PublicRoute } from '../auth/require-scope.decorator.js';
import { ApiError } from '../common/api-error.js';
import { CONSOLE_FILES, consoleFile, type ConsoleFile } from './console-assets.js';
import { consoleCsp } from './console-csp.js';

/**
 * The web console at `/`. Public: the page holds no data; it asks for an API key, keeps it in
 * localStorage and calls the authenticated /v1 API with it.
 */
@Controller()
@PublicRoute()
export class ConsoleController {
  private readonly csp: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.csp = consoleCsp(config);
  }

  @Get()
  async index(@Res() response: Response): Promise<void> {
    await this.send(response, 'index.html');
  }

  @Get('console/:file')
  async asset(@Param('file') file: string, @Res() response: Response): Promise<void> {
    if (!Object.hasOwn(CONSOLE_FILES, file) || file === 'index.html') throw ApiError.notFound('console file', file);
    await this.send(response, file as ConsoleFile);
  }

  private async send(response: Response, name: ConsoleFile): Promise<void> {
    const bytes = await consoleFile(name).catch(() => {
      throw ApiError.notFound('console file', `${name} (apps/api/console/ is missing from this installation)`);
    });
    response.setHeader('Content-Type', CONSOLE_FILES[name]);
    response.setHeader('Cache-Control', 'no-cache');
    if (name === 'index.html') response.setHeader('Content-Security-Policy', this.csp);
    response.status(200).end(bytes);
  }
}
