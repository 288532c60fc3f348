import { A1111CatalogController } from './a1111/a1111-catalog.controller.js';
import { A1111ExtrasController } from './a1111/a1111-extras.controller.js';
import { A1111Extras } from './a1111/a1111-extras.service.js';
import { A1111GenerationController } from './a1111/a1111-generation.controller.js';
import { A1111Generation } from './a1111/a1111-generation.service.js';
import { BlockingGenerator } from './blocking-generator.js';
import { CompatAuthGuard } from './compat-auth.guard.js';
import { OpenAiImagesController } from './openai/openai-images.controller.js';
import { OpenAiImages } from './openai/openai-images.service.js';

/** What AppModule registers for the OpenAI and AUTOMATIC1111 compatibility APIs. */
export const COMPAT_CONTROLLERS = [OpenAiImagesController, A1111GenerationController, A1111CatalogController, A1111ExtrasController];
export const COMPAT_PROVIDERS = [BlockingGenerator, CompatAuthGuard, OpenAiImages, A1111Generation, A1111Extras];
