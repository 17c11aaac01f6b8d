/** Server schemas by name, from the types generated out of the OpenAPI document (`npm run gen:types`). */
import type { components } from './schema.gen';

export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];
