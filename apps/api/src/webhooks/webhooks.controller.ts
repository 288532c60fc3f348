import { Controller, Get, HttpStatus, Inject } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { ApiError } from '../common/api-error.js';

@Controller('v1/webhooks')
export class WebhooksController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The signing secret, for receivers to verify `webhook-signature`; only over authenticated calls. */
  @Get('secret')
  secret(): { secret: string; scheme: 'standard-webhooks' } {
    if (this.config.env.AUTH_DISABLED) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'auth_disabled', 'authentication is disabled, so the webhook secret is not served over HTTP; it is printed at first start');
    }
    return { secret: this.config.webhookSecret, scheme: 'standard-webhooks' };
  }
}
