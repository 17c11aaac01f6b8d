import { http, resource } from './http';
import type { ModelInstance } from './instances';
import type { Schema } from './schema';

export type ModelSource = Schema<'SourceKind'>;
export type Category = Schema<'Category'>;
/** An engine name; the server checks it against its engine registry (null: chosen automatically). */
export type Backend = NonNullable<Schema<'ModelSpec'>['backend']>;
export type ModelState = Schema<'ModelState'>;
export type GpuSelector = Schema<'GPUSelector'>;

/** The fields a person sets when deploying; shared by create and evaluation. */
export type ModelSpec = Schema<'ModelSpec'>;
export type ScalingWindow = Schema<'ScalingWindow'>;
export type LoadBalancing = Schema<'LoadBalancing'>;
export type ModelUpdate = Schema<'ModelUpdate'>;
export type Model = Schema<'ModelPublic'>;
export type CheckReport = Schema<'CheckReport'>;
export type CheckResult = Schema<'CheckResult'>;

/** Where a model's files come from (a deployment, a model file or a catalog entry). */
export type ModelSourceRef = Pick<
  ModelSpec,
  | 'source'
  | 'huggingface_repo_id'
  | 'huggingface_filename'
  | 'model_scope_model_id'
  | 'model_scope_file_path'
  | 'local_path'
>;

export const modelsApi = {
  ...resource<Model, ModelSpec, ModelUpdate>('/v2/models'),
  instances: (id: number) => http.get<{ items: ModelInstance[] }>(`/v2/models/${id}/instances`),
  restart: (id: number) => http.post<Model>(`/v2/models/${id}/restart`),
  integrationCheck: (id: number) => http.post<CheckReport>(`/v2/models/${id}/integration-check`),
};

/** Where a model comes from, in one line for tables. */
export function modelSourceLabel(m: ModelSourceRef): string {
  switch (m.source) {
    case 'huggingface':
      return `HF: ${m.huggingface_repo_id ?? ''}${m.huggingface_filename ? ` / ${m.huggingface_filename}` : ''}`;
    case 'model_scope':
      return `ModelScope: ${m.model_scope_model_id ?? ''}`;
    default:
      return m.local_path ?? '';
  }
}
