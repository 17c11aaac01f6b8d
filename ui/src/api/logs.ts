import { http, queryString, type ListResponse } from './http';
import type { Schema } from './schema';

export type AuditLog = Schema<'AuditLogPublic'>;
export type RequestLog = Schema<'RequestLogPublic'>;

export interface AuditLogQuery {
  page?: number;
  perPage?: number;
  actor?: string;
  resource_kind?: string;
  resource_id?: number;
  time_from?: string;
  time_to?: string;
}

export interface RequestLogQuery {
  page?: number;
  perPage?: number;
  model?: string;
  api_key_id?: number;
  time_from?: string;
  time_to?: string;
}

export const logsApi = {
  audit: (q: AuditLogQuery) =>
    http.get<ListResponse<AuditLog>>('/v2/audit-logs' + queryString({ page: 1, perPage: 50, ...q })),
  requests: (q: RequestLogQuery) =>
    http.get<ListResponse<RequestLog>>('/v2/request-logs' + queryString({ page: 1, perPage: 50, ...q })),
};
