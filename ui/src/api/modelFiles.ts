import { http, resource } from './http';
import type { ModelSource } from './models';

export interface ModelFile {
  id: number;
  source: ModelSource;
  huggingface_repo_id?: string | null;
  huggingface_filename?: string | null;
  model_scope_model_id?: string | null;
  model_scope_file_path?: string | null;
  local_path?: string | null;
  worker_id: number;
  worker_name: string | null;
  state: 'downloading' | 'ready' | 'error';
  state_message: string | null;
  download_progress: number | null;
  size: number | null;
  local_dir: string | null;
  created_at: string;
}

/** What a pre-download needs: where the files come from and which worker keeps them. */
export interface ModelFileCreate {
  source: ModelSource;
  huggingface_repo_id?: string;
  huggingface_filename?: string;
  model_scope_model_id?: string;
  model_scope_file_path?: string;
  local_path?: string;
  worker_id: number;
}

export const modelFilesApi = {
  ...resource<ModelFile, ModelFileCreate>('/v2/model-files'),
  retry: (id: number) => http.post<ModelFile>(`/v2/model-files/${id}/retry`),
  removeWithFiles: (id: number) => http.del(`/v2/model-files/${id}?cleanup=true`),
};
