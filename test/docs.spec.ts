import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { EVENT_LAYER, type IngestionEventType } from '#contracts';
import { envSchema } from '#config';

// Documentation that drifts from the code misleads users: these checks fail when it does.
describe('docs stay in sync with the code', () => {
  const types = Object.keys(EVENT_LAYER) as IngestionEventType[];

  it('docs/events.md documents every event type', () => {
    const md = readFileSync('docs/events.md', 'utf8');
    for (const type of types) expect(md).toContain(`### \`${type}\``);
  });

  it('docs/asyncapi.yaml has a message, schema and valid example for every event type', () => {
    const doc = parse(readFileSync('docs/asyncapi.yaml', 'utf8'));
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.channels.ingestionEvents.address).toBe('trips.ingestion-events.v1');
    for (const type of types) {
      const ref = type.replace('.', '_');
      const message = doc.components.messages[ref];
      expect(message.name).toBe(type);
      const schema = doc.components.schemas[ref].allOf[1].properties;
      expect(schema.layer.const).toBe(EVENT_LAYER[type]);
      const example = message.examples[0].payload;
      expect(example.type).toBe(type);
      expect(example.layer).toBe(EVENT_LAYER[type]);
      expect(example.eventId).toBe(`${type}:${example.ingestionId}`);
      expect(Object.keys(example.data).sort()).toEqual([...schema.data.required].sort());
      expect(Object.keys(schema.data.properties).sort()).toEqual([...schema.data.required].sort());
    }
  });

  it('README documents every environment variable', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const key of Object.keys(envSchema.shape)) expect(readme).toMatch(new RegExp(`\\|\\s*\`${key}\`\\s*\\|`));
  });
});
