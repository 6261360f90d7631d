import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ErrorCode } from '../../src/contract.js';
import { ContractReader, type EventSignature, SchemaReader, shapeDifferences } from './contract-shapes.js';

/**
 * docs/asyncapi.yaml must describe exactly the events of src/contract.ts, with the same payload
 * and ack shapes, and every ErrorCode: a change to the typed event maps that is not documented
 * (or the reverse) fails here.
 */
const CONTRACT_PATH = fileURLToPath(new URL('../../src/contract.ts', import.meta.url));
const ASYNCAPI_PATH = fileURLToPath(new URL('../../docs/asyncapi.yaml', import.meta.url));

type Node = Record<string, unknown>;

interface DocumentedEvent {
  operation: string;
  payload: unknown;
  ack?: unknown;
}

function documentedEvents(document: Node, schemas: SchemaReader, action: 'send' | 'receive'): Map<string, DocumentedEvent> {
  const events = new Map<string, DocumentedEvent>();
  for (const [operationId, operation] of Object.entries(document.operations as Record<string, Node>)) {
    if (operation.action !== action) continue;
    const [message, ...others] = (operation.messages as Node[]).map((ref) => schemas.resolve(ref));
    if (!message || others.length > 0) throw new Error(`operation ${operationId} must carry exactly one message`);
    const reply = operation.reply as Node | undefined;
    const ack = reply ? (reply.messages as Node[]).map((ref) => schemas.resolve(ref))[0] : undefined;
    const name = String(message.name);
    if (events.has(name)) throw new Error(`event ${name} is documented twice (${operationId})`);
    events.set(name, { operation: operationId, payload: message.payload, ack: ack?.payload });
  }
  return events;
}

function allRefs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => allRefs(item, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else allRefs(value, found);
    }
  }
  return found;
}

function differences(event: string, contract: EventSignature, documented: DocumentedEvent, schemas: SchemaReader): string[] {
  const problems = shapeDifferences(contract.payload, schemas.shapeOf(documented.payload), `${event} payload`);
  if (contract.ack && !documented.ack) problems.push(`${event}: takes an ack in the contract, the document has no reply`);
  if (!contract.ack && documented.ack) problems.push(`${event}: the document has a reply, the contract no ack`);
  if (contract.ack && documented.ack) problems.push(...shapeDifferences(contract.ack, schemas.shapeOf(documented.ack), `${event} ack`));
  return problems;
}

describe('docs/asyncapi.yaml', () => {
  let document: Node;
  let schemas: SchemaReader;
  let contract: ContractReader;

  beforeAll(() => {
    document = parse(readFileSync(ASYNCAPI_PATH, 'utf8')) as Node;
    schemas = new SchemaReader(document);
    contract = new ContractReader(CONTRACT_PATH);
  });

  it('is an AsyncAPI 3 document whose every $ref resolves', () => {
    expect(document.asyncapi).toMatch(/^3\./);
    const refs = allRefs(document);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) expect(() => schemas.pointer(ref)).not.toThrow();
  });

  it('documents exactly the client-to-server events, with their payloads and acks', () => {
    const typed = contract.events('ClientToServerEvents');
    const documented = documentedEvents(document, schemas, 'receive');
    expect([...documented.keys()].sort()).toEqual([...typed.keys()].sort());
    const problems = [...typed].flatMap(([event, signature]) => differences(event, signature, documented.get(event)!, schemas));
    expect(problems).toEqual([]);
  });

  it('documents exactly the server-to-client events, with their payloads', () => {
    const typed = contract.events('ServerToClientEvents');
    const documented = documentedEvents(document, schemas, 'send');
    expect([...documented.keys()].sort()).toEqual([...typed.keys()].sort());
    const problems = [...typed].flatMap(([event, signature]) => differences(event, signature, documented.get(event)!, schemas));
    expect(problems).toEqual([]);
  });

  it('lists every ErrorCode and describes each', () => {
    const errorCode = schemas.pointer('#/components/schemas/ErrorCode');
    expect((errorCode.enum as string[]).slice().sort()).toEqual(Object.values(ErrorCode).sort());
    for (const code of Object.values(ErrorCode)) expect(String(errorCode.description)).toContain(`\`${code}\``);
  });

  it('describes the connect_error data of a refused handshake', () => {
    const problems = shapeDifferences(
      contract.shapeOfDeclaration('ConnectErrorData'),
      schemas.shapeOf({ $ref: '#/components/schemas/ConnectErrorData' }),
      'ConnectErrorData',
    );
    expect(problems).toEqual([]);
  });

  it('notices drift: a property missing from a documented payload is reported', () => {
    const typed = contract.events('ClientToServerEvents').get('message:send')!;
    const drifted = structuredClone(document);
    const payload = (drifted as { components: { schemas: Record<string, Node> } }).components.schemas.MessageSendPayload!;
    delete (payload.properties as Node).clientMsgId;
    const driftedSchemas = new SchemaReader(drifted);
    const event = documentedEvents(drifted, driftedSchemas, 'receive').get('message:send')!;
    expect(differences('message:send', typed, event, driftedSchemas)).toEqual([
      'message:send payload.clientMsgId: in the contract but not documented',
    ]);
  });
});
