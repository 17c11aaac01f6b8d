/** Shared HTTP plumbing: JSON requests, the error shape, paginated lists and watch streams. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

export interface Pagination {
  page: number;
  perPage: number;
  total: number;
  totalPage: number;
}

export interface ListResponse<T> {
  items: T[];
  pagination: Pagination;
}

export interface ListQuery {
  page?: number;
  perPage?: number;
  search?: string;
  sort_by?: string;
}

export type WatchEventType = 'CREATED' | 'UPDATED' | 'DELETED';

export interface WatchEvent<T> {
  type: WatchEventType;
  data: T;
}

/** Called when any request answers 401, so the app can send the person to the login page. */
type UnauthorizedHandler = () => void;
const handlers = new Set<UnauthorizedHandler>();
export function onUnauthorized(handler: UnauthorizedHandler): () => void {
  handlers.add(handler);
  return () => handlers.delete(handler);
}

/** Reads the human message out of either error shape the server uses (management or OpenAI). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  let reason: string | undefined;
  try {
    const body: unknown = await res.json();
    if (body && typeof body === 'object') {
      const b = body as Record<string, unknown>;
      const inner = (b.error ?? b) as Record<string, unknown>;
      if (typeof inner.message === 'string') message = inner.message;
      else if (typeof b.detail === 'string') message = b.detail;
      else if (Array.isArray(b.detail)) message = b.detail.map((d) => d?.msg ?? '').join('; ');
      if (typeof b.reason === 'string') reason = b.reason;
    }
  } catch {
    // Body was not JSON: keep the status line.
  }
  return new ApiError(res.status, message, reason);
}

export async function request<T>(
  method: string,
  url: string,
  body?: unknown,
  init: RequestInit = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof FormData || body instanceof URLSearchParams) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin', ...init });
  if (!res.ok) {
    const err = await errorFromResponse(res);
    if (res.status === 401 && !url.startsWith('/auth/login')) handlers.forEach((h) => h());
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const http = {
  get: <T>(url: string) => request<T>('GET', url),
  post: <T>(url: string, body?: unknown) => request<T>('POST', url, body),
  put: <T>(url: string, body?: unknown) => request<T>('PUT', url, body),
  del: <T = void>(url: string) => request<T>('DELETE', url),
};

export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  Object.entries(params).forEach(([k, v]) => {
    if (v !== undefined && v !== '') q.set(k, String(v));
  });
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A `/v2` list resource: list, watch, get, create, update, delete. */
export interface Resource<T extends { id: number | string }, C = Partial<T>, U = Partial<T>> {
  path: string;
  list(query?: ListQuery): Promise<ListResponse<T>>;
  watch(onEvent: (event: WatchEvent<T>) => void, onError?: () => void): () => void;
  get(id: T['id']): Promise<T>;
  create(body: C): Promise<T>;
  update(id: T['id'], body: U): Promise<T>;
  remove(id: T['id']): Promise<void>;
}

export function resource<T extends { id: number | string }, C = Partial<T>, U = Partial<T>>(
  path: string,
): Resource<T, C, U> {
  const one = (id: T['id']) => `${path}/${encodeURIComponent(String(id))}`;
  return {
    path,
    list: (query = {}) =>
      http.get<ListResponse<T>>(path + queryString({ page: 1, perPage: 100, ...query })),
    watch: (onEvent, onError) => watchList<T>(path, onEvent, onError),
    get: (id) => http.get<T>(one(id)),
    create: (body) => http.post<T>(path, body),
    update: (id, body) => http.put<T>(one(id), body),
    remove: (id) => http.del(one(id)),
  };
}

/** Follows `?watch=true` on a list URL with EventSource; returns a function that stops it. */
export function watchList<T>(
  path: string,
  onEvent: (event: WatchEvent<T>) => void,
  onError?: () => void,
): () => void {
  const source = new EventSource(`${path}${path.includes('?') ? '&' : '?'}watch=true`, {
    withCredentials: true,
  });
  source.onmessage = (msg: MessageEvent<string>) => {
    try {
      onEvent(JSON.parse(msg.data) as WatchEvent<T>);
    } catch {
      // Ignore frames that are not events (the server's heartbeats are comments anyway).
    }
  };
  source.onerror = () => onError?.();
  return () => source.close();
}
