import { http, resource } from './http';
import type { Schema } from './schema';

export type ModelFile = Schema<'ModelFilePublic'>;
/** What a pre-download needs: where the files come from and which worker keeps them. */
export type ModelFileCreate = Schema<'ModelFileCreate'>;

export const modelFilesApi = {
  ...resource<ModelFile, ModelFileCreate>('/v2/model-files'),
  retry: (id: number) => http.post<ModelFile>(`/v2/model-files/${id}/retry`),
  removeWithFiles: (id: number) => http.del(`/v2/model-files/${id}?cleanup=true`),
};
