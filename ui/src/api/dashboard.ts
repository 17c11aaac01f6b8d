import { http, queryString } from './http';
import type { Schema } from './schema';

// The server declares its dashboard and usage answers as free-form objects: these shapes are the UI's.

export interface LoadPoint {
  timestamp: number | string;
  cpu: number;
  ram: number;
  gpu: number;
  vram: number;
}

export interface UsagePoint {
  date: string;
  prompt_tokens: number;
  completion_tokens: number;
  requests: number;
}

export interface Dashboard {
  resource_counts: { workers: number; gpus: number; models: number; model_instances: number };
  /** `history` is optional: servers without a load sampler send only `current`. */
  system_load: { current: Omit<LoadPoint, 'timestamp'>; history?: LoadPoint[] };
  model_usage: {
    history: UsagePoint[];
    top_users: { username: string; prompt_tokens: number; completion_tokens: number; requests: number }[];
    top_models?: { model_name: string; requests: number; total_tokens: number }[];
  };
  active_models: {
    id: number;
    name: string;
    ready_replicas: number;
    replicas: number;
    categories: string[];
    /** Requests this server's gateway runs and holds in the queue for the model. */
    in_flight?: number;
    queued?: number;
  }[];
}

export interface UsageRow {
  date: string;
  model_name?: string | null;
  username?: string | null;
  api_key_name?: string | null;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  errors?: number;
}

export type UsageGroup = Schema<'GroupBy'>;

export function usageCsvUrl(start_date: string, end_date: string, group_by: UsageGroup): string {
  return `/v2/usage${queryString({ start_date, end_date, group_by, format: 'csv' })}`;
}

export const dashboardApi = {
  get: () => http.get<Dashboard>('/v2/dashboard'),
  usage: (start_date: string, end_date: string, group_by: UsageGroup) =>
    http.get<{ items: UsageRow[] }>(`/v2/usage${queryString({ start_date, end_date, group_by })}`),
};
