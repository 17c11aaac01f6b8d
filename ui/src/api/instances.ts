import { resource } from './http';
import type { Schema } from './schema';

export type InstanceState = Schema<'InstanceState'>;
export type ModelInstance = Schema<'ModelInstancePublic'>;

export const instancesApi = {
  ...resource<ModelInstance>('/v2/model-instances'),
  logsUrl: (id: number, tail = 200, follow = true) =>
    `/v2/model-instances/${id}/logs?tail=${tail}&follow=${follow}`,
};
