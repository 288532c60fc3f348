import { Controller, Get, HttpStatus, Inject } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { ApiError } from '../common/api-error.js';

@Controller('v1/webhooks')
export class WebhooksController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The signing secret, for receivers to verify `webhook-signature`; only over authenticated calls. */
  @Get('secret')
  secret(): { secret: string; scheme: 'standard-webhooks' } {
    if (!this.config.env.API_KEY) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'auth_disabled', 'set API_KEY to read the webhook secret over HTTP; it is also printed at first start');
    }
    return { secret: this.config.webhookSecret, scheme: 'standard-webhooks' };
  }
}
