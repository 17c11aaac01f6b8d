import { http, resource } from './http';
import type { ModelInstance } from './instances';

export type ModelSource = 'huggingface' | 'model_scope' | 'local_path';
export type Category =
  | 'llm'
  | 'embedding'
  | 'reranker'
  | 'image'
  | 'speech_to_text'
  | 'text_to_speech';
export type Backend = 'llama.cpp' | 'vllm' | 'sglang' | 'custom';
export type ModelState = 'pending' | 'partial' | 'running' | 'error';

export interface GpuSelector {
  gpu_ids: string[];
  gpus_per_replica?: number | null;
}

/** The fields a person sets when deploying; shared by create, update and evaluation. */
export interface ModelSpec {
  name: string;
  description?: string | null;
  source: ModelSource;
  huggingface_repo_id?: string | null;
  huggingface_filename?: string | null;
  model_scope_model_id?: string | null;
  model_scope_file_path?: string | null;
  local_path?: string | null;
  categories?: Category[];
  backend?: Backend | null;
  backend_version?: string | null;
  backend_parameters?: string[];
  backend_command?: string | null;
  health_path?: string | null;
  env?: Record<string, string>;
  replicas: number;
  placement_strategy?: 'spread' | 'binpack';
  worker_selector?: Record<string, string>;
  gpu_selector?: GpuSelector | null;
  cpu_offloading?: boolean;
  distributed_inference_across_workers?: boolean;
  restart_on_error?: boolean;
}

export interface Model extends ModelSpec {
  id: number;
  state: ModelState;
  state_message: string | null;
  ready_replicas: number;
  created_at: string;
  updated_at: string;
}

export const modelsApi = {
  ...resource<Model, ModelSpec, Partial<ModelSpec>>('/v2/models'),
  instances: (id: number) => http.get<{ items: ModelInstance[] }>(`/v2/models/${id}/instances`),
  restart: (id: number) => http.post<Model>(`/v2/models/${id}/restart`),
};

/** Where a model comes from, in one line for tables. */
export function modelSourceLabel(m: ModelSpec): string {
  switch (m.source) {
    case 'huggingface':
      return `HF: ${m.huggingface_repo_id ?? ''}${m.huggingface_filename ? ` / ${m.huggingface_filename}` : ''}`;
    case 'model_scope':
      return `ModelScope: ${m.model_scope_model_id ?? ''}`;
    default:
      return m.local_path ?? '';
  }
}
