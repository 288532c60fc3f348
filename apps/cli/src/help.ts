import { GLOBAL_OPTIONS, type OptionSpecs } from './options.js';

export interface HelpTopic {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: OptionSpecs;
  readonly details?: string;
}

function optionLines(specs: OptionSpecs): string[] {
  const entries = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return [flag, `${spec.description}${spec.multiple ? ' (repeatable)' : ''}`] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length));
  return entries.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

export function commandHelp(topic: HelpTopic): string {
  return [
    `usage: atelier ${topic.usage}`,
    '',
    topic.summary,
    ...(topic.details ? ['', topic.details] : []),
    ...(Object.keys(topic.options).length ? ['', 'options:', ...optionLines(topic.options)] : []),
    '',
    'global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
  ].join('\n');
}

export function generalHelp(topics: readonly HelpTopic[]): string {
  const width = Math.max(...topics.map((topic) => topic.name.length));
  return [
    'usage: atelier [global options] <command> [options]',
    '',
    'Talks to an Atelier render farm over its HTTP API.',
    '',
    'commands:',
    ...topics.map((topic) => `  ${topic.name.padEnd(width)}  ${topic.summary}`),
    '',
    'global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Run `atelier <command> --help` for the options of one command.',
    '',
  ].join('\n');
}
