import type { Type } from '@nestjs/common';
import { getMetadataStorage, type ValidationArguments, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata.js';

type Condition = (object: object, value: unknown) => boolean;
type Check = (value: unknown, args: ValidationArguments) => boolean;

/**
 * What a check's arguments point at between calls, so they do not keep a payload alive; one
 * shared object, so resetting them allocates nothing.
 */
const RELEASED: object = Object.freeze({});

interface PropertyPlan {
  property: string;
  conditions: Condition[];
  checks: Array<{ check: Check; args: ValidationArguments }>;
}

/** Decides validity only: for a payload it rejects, class-validator itself produces the details. */
export type ValidityCheck = (instance: Record<string, unknown>) => boolean;

function plan(dto: Type, metadatas: ValidationMetadata[]): PropertyPlan[] | undefined {
  const storage = getMetadataStorage();
  const byProperty = new Map<string, PropertyPlan>();
  for (const metadata of metadatas) {
    let entry = byProperty.get(metadata.propertyName);
    if (!entry) {
      entry = { property: metadata.propertyName, conditions: [], checks: [] };
      byProperty.set(metadata.propertyName, entry);
    }
    if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
      entry.conditions.push(metadata.constraints[0] as Condition);
      continue;
    }
    // Anything beyond plain synchronous per-value rules keeps the full class-validator path.
    if (metadata.type !== ValidationTypes.CUSTOM_VALIDATION || metadata.each || metadata.validateIf) return undefined;
    for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
      if (constraint.async) return undefined;
      const instance = constraint.instance as { validate: Check };
      const args: ValidationArguments = {
        targetName: dto.name,
        property: metadata.propertyName,
        object: RELEASED,
        value: undefined,
        constraints: metadata.constraints,
      };
      entry.checks.push({ check: instance.validate.bind(instance), args });
    }
  }
  return [...byProperty.values()];
}

/**
 * A cached validity check built from the DTO's class-validator metadata: it calls the very
 * constraint functions class-validator would call, in a flat loop, without building error
 * objects, because a valid payload (almost every payload) needs a yes, not a report (figures in
 * docs/benchmarks.md); undefined when the DTO uses a rule kind it does not cover (then every
 * payload goes through validateSync).
 */
export function compileValidityCheck(
  dto: Type,
  metadatas: ValidationMetadata[] = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false),
): ValidityCheck | undefined {
  const plans = plan(dto, metadatas);
  if (!plans) return undefined;
  return (instance) => {
    for (const { property, conditions, checks } of plans) {
      const value = instance[property];
      let applies = true;
      for (const condition of conditions) applies &&= condition(instance, value);
      if (!applies) continue;
      for (const { check, args } of checks) {
        args.object = instance;
        args.value = value;
        const valid = check(value, args);
        args.object = RELEASED;
        args.value = undefined;
        if (!valid) return false;
      }
    }
    return true;
  };
}
