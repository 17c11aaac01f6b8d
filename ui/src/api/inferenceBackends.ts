import { http } from './http';
import type { Schema } from './schema';

export type InferenceBackend = Schema<'InferenceBackendPublic'>;
export type EngineVersionCreate = Schema<'EngineVersionCreate'>;

/** Backends with the versions workers have installed and administrators added. */
export const inferenceBackendsApi = {
  list: () => http.get<Schema<'InferenceBackendList'>>('/v2/inference-backends').then((r) => r.items),
};
