import { http, resource } from './http';

export interface GpuMemory {
  total: number;
  used?: number | null;
  allocated?: number | null;
  utilization_rate?: number | null;
}

export interface GpuDeviceStatus {
  vendor: string;
  name: string;
  index: number;
  uuid?: string;
  memory: GpuMemory;
  core?: { utilization_rate?: number | null } | null;
  temperature?: number | null;
}

export interface WorkerStatus {
  cpu?: { total: number; utilization_rate: number };
  memory?: { total: number; used: number; utilization_rate: number };
  filesystem?: { path: string; total: number; used: number; available: number }[];
  os?: { name: string; version: string };
  arch?: string;
  gpu_devices?: GpuDeviceStatus[];
}

export type WorkerState = 'ready' | 'not_ready' | 'unreachable' | 'maintenance';

export interface Worker {
  id: number;
  name: string;
  ip: string;
  port: number;
  state: WorkerState;
  state_message: string | null;
  labels: Record<string, string>;
  maintenance: boolean;
  heartbeat_time: string | null;
  status: WorkerStatus | null;
  created_at: string;
  updated_at: string;
}

export interface WorkerRegistration {
  server_url: string;
  token: string;
  command: string;
}

export const workersApi = {
  ...resource<Worker, never, Partial<Pick<Worker, 'labels' | 'maintenance'>>>('/v2/workers'),
  registration: () => http.get<WorkerRegistration>('/v2/workers/registration'),
};
