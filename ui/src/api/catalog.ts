import { http, type ListResponse } from './http';
import type { Backend, Category, ModelSource } from './models';

export interface CatalogSource {
  source: ModelSource;
  huggingface_repo_id?: string | null;
  huggingface_filename?: string | null;
  model_scope_model_id?: string | null;
  model_scope_file_path?: string | null;
  local_path?: string | null;
}

export interface ModelSet {
  id: number | string;
  name: string;
  description: string | null;
  categories: Category[];
  sources: CatalogSource[];
  size: number | string | null;
  backend: Backend | null;
}

export const catalogApi = {
  async list(): Promise<ModelSet[]> {
    const res = await http.get<ListResponse<ModelSet> | ModelSet[]>('/v2/model-sets?perPage=200');
    return Array.isArray(res) ? res : res.items;
  },
};
