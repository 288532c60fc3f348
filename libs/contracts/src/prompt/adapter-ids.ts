/**
 * Catalog ids are `<kind>:<name>`: a finished training reports its LoRA as `model_id:
 * "lora:<name>"`, GET /v1/models lists adapters under such ids, and GET /v1/models/{id} also takes
 * `pipeline:<id>`. Wherever a LoRA or a model is named, the id and the bare name mean the same.
 */
export const LORA_ID_PREFIX = 'lora:';

/** The LoRA name for a name or a `lora:<name>` registry id (an empty remainder is left as written). */
export function loraName(nameOrId: string): string {
  const trimmed = nameOrId.trim();
  if (!trimmed.startsWith(LORA_ID_PREFIX)) return trimmed;
  const name = trimmed.slice(LORA_ID_PREFIX.length).trim();
  return name === '' ? trimmed : name;
}

export const PIPELINE_ID_PREFIX = 'pipeline:';

/** The model id for a model id or a `pipeline:<id>` catalog id. */
export function pipelineId(idOrCatalogId: string): string {
  const trimmed = idOrCatalogId.trim();
  const id = trimmed.startsWith(PIPELINE_ID_PREFIX) ? trimmed.slice(PIPELINE_ID_PREFIX.length).trim() : trimmed;
  return id === '' ? trimmed : id;
}
