// The single place that names the YAML parser of the deploy tests. js-yaml 5 is in node_modules
// today only as a dependency of @nestjs/swagger; once it (or `yaml`) is a declared devDependency,
// swapping the library is a change to this file alone.
import { CORE_SCHEMA, loadAll, mergeTag } from 'js-yaml';

// YAML 1.2 core schema plus merge keys (`<<: *common` in docker-compose.yml). Duplicate keys throw.
const schema = CORE_SCHEMA.withTags(mergeTag);

/** Every document of a (multi-document) YAML stream; empty documents are dropped. */
export function parseYamlDocuments(text: string): unknown[] {
  return loadAll(text, { schema }).filter((document) => document !== null && document !== undefined);
}

/** A YAML stream that must hold exactly one document. */
export function parseYaml(text: string): unknown {
  const documents = parseYamlDocuments(text);
  if (documents.length !== 1) throw new Error(`expected one YAML document, found ${documents.length}`);
  return documents[0];
}
