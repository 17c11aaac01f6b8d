import { http, type ListResponse } from './http';
import type { Backend, Category, ModelSourceRef } from './models';

export type CatalogSource = ModelSourceRef;

/** A catalog entry (the server declares its list as a free-form object). */
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
