import { resource } from './http';

export type InstanceState =
  | 'pending'
  | 'analyzing'
  | 'scheduled'
  | 'initializing'
  | 'downloading'
  | 'starting'
  | 'running'
  | 'error'
  | 'unreachable';

export interface ModelInstance {
  id: number;
  name: string;
  model_id: number;
  model_name: string;
  worker_id: number | null;
  worker_name: string | null;
  worker_ip: string | null;
  port: number | null;
  gpu_indexes: number[] | null;
  computed_resource_claim: { ram?: number; vram?: Record<string, number> } | null;
  state: InstanceState;
  state_message: string | null;
  download_progress: number | null;
  restart_count: number;
  created_at: string;
  updated_at: string;
}

export const instancesApi = {
  ...resource<ModelInstance>('/v2/model-instances'),
  logsUrl: (id: number, tail = 200, follow = true) =>
    `/v2/model-instances/${id}/logs?tail=${tail}&follow=${follow}`,
};
