import { Controller, Get } from '@nestjs/common';
import { listSchedulers } from '@atelier/diffusion';
import { listStyles } from '@atelier/contracts';

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
