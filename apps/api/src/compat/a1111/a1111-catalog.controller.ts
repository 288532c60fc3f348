import { Controller, Get, Inject, Query, UseFilters } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { listSchedulers } from '@atelier/diffusion';
import { GenerationStore } from '@atelier/records';
import type { Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../../auth/current-principal.decorator.js';
import { parseBody } from '../../common/zod-body.js';
import { RequestResolver } from '../../generations/request-resolver.js';
import { CompatAuthGuard } from '../compat-auth.guard.js';
import { AuthenticatedBy } from '../../auth/require-scope.decorator.js';
import { SCHEDULE_TYPES } from './a1111-fields.js';
import { A1111ErrorFilter } from './a1111-error.filter.js';
import { toA1111Progress, type A1111Progress } from './a1111-progress.js';

/** How many of the caller's newest generations /progress looks at for a running or queued one. */
const PROGRESS_WINDOW = 50;

/** Query parameters A1111 clients send; others are ignored (a query string is not a request body). */
const progressQuerySchema = z.object({ skip_current_image: z.enum(['true', 'false']).optional(), id_task: z.string().optional() });

interface SdModel {
  readonly title: string;
  readonly model_name: string;
  readonly hash: null;
  readonly sha256: null;
  readonly filename: string;
  readonly config: null;
}

/** The read-only A1111 endpoints clients call to fill their menus and show progress. */
@Controller('sdapi/v1')
@AuthenticatedBy(CompatAuthGuard)
@UseFilters(A1111ErrorFilter)
export class A1111CatalogController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RequestResolver) private readonly resolver: RequestResolver,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
  ) {}

  /** Titles are the bare model ids, so override_settings.sd_model_checkpoint takes them back as they are. */
  @Get('sd-models')
  async sdModels(): Promise<SdModel[]> {
    return [...(await this.resolver.catalog()).values()].map((model) => ({
      title: model.id,
      model_name: model.id,
      hash: null,
      sha256: null,
      filename: model.id,
      config: null,
    }));
  }

  /** Base sampler names; "<name> Karras" spellings are accepted as aliases, as in A1111 ≥ 1.9. */
  @Get('samplers')
  samplers(): Array<{ name: string; aliases: string[]; options: Record<string, string> }> {
    return listSchedulers().map((scheduler) => {
      const options: Record<string, string> = scheduler.karras ? { scheduler: 'karras' } : {};
      return { name: scheduler.label, aliases: [scheduler.id, ...scheduler.aliases, ...(scheduler.karras ? [`${scheduler.label} Karras`] : [])], options };
    });
  }

  @Get('schedulers')
  schedulers(): Array<{ name: string; label: string; aliases: null; default_rho: number; need_inner_model: boolean }> {
    return SCHEDULE_TYPES.map((type) => ({ ...type, aliases: null, need_inner_model: false }));
  }

  /** The settings clients read at start-up; the checkpoint is the default model (nothing here can be changed). */
  @Get('options')
  options(): Record<string, unknown> {
    return { sd_model_checkpoint: this.config.env.DEFAULT_MODEL, sd_checkpoint_hash: null, CLIP_stop_at_last_layers: 1, sd_vae: 'Automatic', samples_format: 'png' };
  }

  @Get('progress')
  async progress(@CurrentPrincipal() principal: Principal, @Query() query: unknown): Promise<A1111Progress> {
    parseBody(progressQuerySchema, query);
    return toA1111Progress(await this.generations.recent(principal.tenant, 0, PROGRESS_WINDOW));
  }
}
