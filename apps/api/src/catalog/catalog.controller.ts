import { Controller, Get } from '@nestjs/common';
import { listSchedulers } from '#libs/diffusion/src/schedulers/index.js';
import { listStyles } from '#libs/contracts/src/index.js';

@Controller('v1')
export class CatalogController {
  @Get('schedulers')
  schedulers(): { object: 'list'; data: ReturnType<typeof listSchedulers> } {
    return { object: 'list', data: listSchedulers() };
  }

  @Get('styles')
  styles(): { object: 'list'; data: ReturnType<typeof listStyles> } {
    return { object: 'list', data: listStyles() };
  }
}
