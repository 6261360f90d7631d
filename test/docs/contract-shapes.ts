import ts from 'typescript';

/** A structural summary of a TypeScript type or a JSON schema, enough to tell whether they agree. */
export type Shape =
  | { kind: 'string' | 'number' | 'boolean' | 'true' | 'false' | 'null' }
  | { kind: 'enum'; values: string[] }
  | { kind: 'array'; items: Shape }
  | { kind: 'object'; props: Record<string, { optional: boolean; shape: Shape }> }
  | { kind: 'oneOf'; options: Shape[] };

export interface EventSignature {
  payload: Shape;
  /** The ack envelope ({ ok: true, data } | { ok: false, error }), when the event takes an ack callback. */
  ack?: Shape;
}

/**
 * Reads src/contract.ts with the TypeScript compiler and summarises the payload and ack types of
 * every event in one of its event maps.
 */
export class ContractReader {
  private readonly checker: ts.TypeChecker;
  private readonly source: ts.SourceFile;

  constructor(contractPath: string) {
    const program = ts.createProgram([contractPath], {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
      types: [],
    });
    this.checker = program.getTypeChecker();
    const source = program.getSourceFile(contractPath);
    if (!source) throw new Error(`cannot read ${contractPath}`);
    this.source = source;
  }

  events(mapName: string): Map<string, EventSignature> {
    const events = new Map<string, EventSignature>();
    for (const property of this.checker.getPropertiesOfType(this.declaredType(mapName))) {
      const [signature] = this.checker.getSignaturesOfType(this.typeOf(property), ts.SignatureKind.Call);
      if (!signature) throw new Error(`${mapName}.${property.name} is not a function type`);
      const [payload, ack] = signature.getParameters();
      if (!payload) throw new Error(`${mapName}.${property.name} takes no payload`);
      events.set(property.name, {
        payload: this.shapeOf(this.typeOf(payload)),
        ack: ack ? this.ackShape(this.typeOf(ack), property.name) : undefined,
      });
    }
    return events;
  }

  shapeOfDeclaration(name: string): Shape {
    return this.shapeOf(this.declaredType(name));
  }

  private declaredType(name: string): ts.Type {
    const declaration = this.source.statements.find(
      (statement) => (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && statement.name.text === name,
    );
    if (!declaration) throw new Error(`src/contract.ts declares no ${name}`);
    return this.checker.getTypeAtLocation(declaration);
  }

  /** Keeps `null` (a nullable field is part of the shape); `undefined` of optional members is dropped by unionShape. */
  private typeOf(symbol: ts.Symbol): ts.Type {
    return this.checker.getTypeOfSymbolAtLocation(symbol, this.source);
  }

  /** AckCallback<T> is (response: Ack<T>) => void: the shape is that of the Ack<T> envelope. */
  private ackShape(callback: ts.Type, event: string): Shape {
    const [signature] = this.checker.getSignaturesOfType(callback, ts.SignatureKind.Call);
    const response = signature?.getParameters()[0];
    if (!response) throw new Error(`the ack of ${event} is not a callback taking a response`);
    return this.shapeOf(this.typeOf(response));
  }

  private shapeOf(type: ts.Type): Shape {
    if (type.isUnion()) return this.unionShape(type);
    if (type.flags & ts.TypeFlags.StringLiteral) return { kind: 'enum', values: [(type as ts.StringLiteralType).value] };
    if (type.flags & ts.TypeFlags.String) return { kind: 'string' };
    if (type.flags & ts.TypeFlags.Null) return { kind: 'null' };
    if (type.flags & ts.TypeFlags.Number) return { kind: 'number' };
    if (type.flags & ts.TypeFlags.BooleanLiteral) return { kind: this.checker.typeToString(type) === 'true' ? 'true' : 'false' };
    if (this.checker.isArrayType(type)) {
      const [items] = this.checker.getTypeArguments(type as ts.TypeReference);
      if (!items) throw new Error(`array type without element type: ${this.checker.typeToString(type)}`);
      return { kind: 'array', items: this.shapeOf(items) };
    }
    if (type.flags & ts.TypeFlags.Object) return this.objectShape(type);
    throw new Error(`unsupported type in the contract: ${this.checker.typeToString(type)}`);
  }

  private unionShape(type: ts.UnionType): Shape {
    const parts = type.types.filter((part) => !(part.flags & ts.TypeFlags.Undefined));
    if (parts.every((part) => part.flags & ts.TypeFlags.StringLiteral)) {
      return { kind: 'enum', values: parts.map((part) => (part as ts.StringLiteralType).value).sort() };
    }
    if (parts.every((part) => part.flags & ts.TypeFlags.BooleanLiteral)) return { kind: 'boolean' };
    if (parts.length === 1) return this.shapeOf(parts[0]!);
    return { kind: 'oneOf', options: parts.map((part) => this.shapeOf(part)) };
  }

  private objectShape(type: ts.Type): Shape {
    const props: Record<string, { optional: boolean; shape: Shape }> = {};
    for (const property of this.checker.getPropertiesOfType(type)) {
      props[property.name] = {
        optional: (property.flags & ts.SymbolFlags.Optional) !== 0,
        shape: this.shapeOf(this.typeOf(property)),
      };
    }
    return { kind: 'object', props };
  }
}

type Schema = Record<string, unknown>;

/** Summarises JSON schemas of an AsyncAPI document, following local `$ref`s. */
export class SchemaReader {
  constructor(private readonly document: Schema) {}

  resolve(node: unknown): Schema {
    let current = node as Schema;
    for (let hops = 0; typeof current.$ref === 'string'; hops++) {
      if (hops > 20) throw new Error(`$ref cycle at ${current.$ref}`);
      current = this.pointer(current.$ref);
    }
    return current;
  }

  pointer(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are used here, got ${ref}`);
    let node: unknown = this.document;
    for (const part of ref.slice(2).split('/')) {
      node = (node as Schema | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      if (node === undefined) throw new Error(`$ref ${ref} does not resolve`);
    }
    return node as Schema;
  }

  shapeOf(node: unknown): Shape {
    const schema = this.resolve(node);
    if (typeof schema.const === 'boolean') return { kind: schema.const ? 'true' : 'false' };
    if (Array.isArray(schema.enum)) return { kind: 'enum', values: (schema.enum as string[]).slice().sort() };
    if (Array.isArray(schema.oneOf)) return { kind: 'oneOf', options: schema.oneOf.map((option) => this.shapeOf(option)) };
    switch (schema.type) {
      case 'string':
        return { kind: 'string' };
      case 'integer':
      case 'number':
        return { kind: 'number' };
      case 'boolean':
        return { kind: 'boolean' };
      case 'null':
        return { kind: 'null' };
      case 'array':
        return { kind: 'array', items: this.shapeOf(schema.items) };
      case 'object':
        return this.objectShape(schema);
      default:
        throw new Error(`schema without a supported type: ${JSON.stringify(schema).slice(0, 120)}`);
    }
  }

  private objectShape(schema: Schema): Shape {
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const props: Record<string, { optional: boolean; shape: Shape }> = {};
    for (const [name, property] of Object.entries((schema.properties as Schema | undefined) ?? {})) {
      props[name] = { optional: !required.has(name), shape: this.shapeOf(property) };
    }
    for (const name of required) if (!(name in props)) throw new Error(`required property ${name} is not described`);
    return { kind: 'object', props };
  }
}

/** Every difference between the contract's shape and the document's, each naming its path. */
export function shapeDifferences(contract: Shape, documented: Shape, path: string): string[] {
  if (contract.kind !== documented.kind) return [`${path}: the contract has ${contract.kind}, the document ${documented.kind}`];
  switch (contract.kind) {
    case 'enum': {
      const a = contract.values.join(', ');
      const b = (documented as typeof contract).values.join(', ');
      return a === b ? [] : [`${path}: the contract allows ${a}, the document ${b}`];
    }
    case 'array':
      return shapeDifferences(contract.items, (documented as typeof contract).items, `${path}[]`);
    case 'object':
      return objectDifferences(contract, documented as typeof contract, path);
    case 'oneOf':
      return unionDifferences(contract, documented as typeof contract, path);
    default:
      return [];
  }
}

function objectDifferences(contract: Extract<Shape, { kind: 'object' }>, documented: typeof contract, path: string): string[] {
  const problems: string[] = [];
  for (const name of new Set([...Object.keys(contract.props), ...Object.keys(documented.props)])) {
    const ours = contract.props[name];
    const theirs = documented.props[name];
    if (!ours) problems.push(`${path}.${name}: documented but not in the contract`);
    else if (!theirs) problems.push(`${path}.${name}: in the contract but not documented`);
    else {
      if (ours.optional !== theirs.optional) {
        problems.push(`${path}.${name}: ${ours.optional ? 'optional' : 'required'} in the contract, not in the document`);
      }
      problems.push(...shapeDifferences(ours.shape, theirs.shape, `${path}.${name}`));
    }
  }
  return problems;
}

function unionDifferences(contract: Extract<Shape, { kind: 'oneOf' }>, documented: typeof contract, path: string): string[] {
  if (contract.options.length !== documented.options.length) {
    return [`${path}: the contract has ${contract.options.length} alternatives, the document ${documented.options.length}`];
  }
  // Alternatives are unordered: report each against the documented one it is closest to.
  return contract.options.flatMap((option, index) => {
    const candidates = documented.options.map((candidate) => shapeDifferences(option, candidate, `${path}|${index + 1}`));
    return candidates.reduce((closest, problems) => (problems.length < closest.length ? problems : closest));
  });
}
