/** The OpenAI-shaped `/v1` routes, called with the session cookie from the playground. */
import { errorFromResponse, http } from './http';

export interface OpenAIModel {
  id: string;
  owned_by: string;
  meta?: { categories?: string[]; capabilities?: string[] } | null;
  categories?: string[];
}

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}

export interface ChatParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  seed?: number | null;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Splits an SSE byte stream into the `data:` payloads of its events. */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
      const data = frame
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) yield data;
    }
  }
}

export const inferenceApi = {
  async models(): Promise<OpenAIModel[]> {
    const res = await http.get<{ data: OpenAIModel[] }>('/v1/models?with_meta=true');
    return res.data;
  },

  /** Streams a chat completion; calls onDelta for each text piece, returns the usage if sent. */
  async streamChat(
    model: string,
    messages: ChatMessage[],
    params: ChatParams,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<ChatUsage | null> {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      credentials: 'same-origin',
      body: JSON.stringify({ model, messages, stream: true, ...params }),
      signal,
    });
    if (!res.ok || !res.body) throw await errorFromResponse(res);
    let usage: ChatUsage | null = null;
    for await (const data of readSseData(res.body)) {
      if (data === '[DONE]') break;
      const chunk = JSON.parse(data) as {
        choices?: { delta?: { content?: string | null; reasoning_content?: string | null } }[];
        usage?: ChatUsage | null;
        error?: { message: string };
      };
      if (chunk.error) throw new Error(chunk.error.message);
      const text = chunk.choices?.[0]?.delta?.content;
      if (text) onDelta(text);
      if (chunk.usage) usage = chunk.usage;
    }
    return usage;
  },

  embeddings: (model: string, input: string[]) =>
    http.post<{ data: { index: number; embedding: number[] }[] }>('/v1/embeddings', {
      model,
      input,
    }),

  rerank: (model: string, query: string, documents: string[]) =>
    http.post<{ results: { index: number; relevance_score: number }[] }>('/v1/rerank', {
      model,
      query,
      documents,
      return_documents: false,
    }),

  images: (model: string, prompt: string, size: string, n: number) =>
    http.post<{ data: { b64_json?: string; url?: string }[] }>('/v1/images/generations', {
      model,
      prompt,
      size,
      n,
      response_format: 'b64_json',
    }),

  async speech(model: string, input: string, voice: string): Promise<Blob> {
    const res = await fetch('/v1/audio/speech', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ model, input, voice, response_format: 'wav' }),
    });
    if (!res.ok) throw await errorFromResponse(res);
    return res.blob();
  },

  transcribe(model: string, file: File): Promise<{ text: string }> {
    const form = new FormData();
    form.set('model', model);
    form.set('file', file);
    form.set('temperature', '0');
    return http.post<{ text: string }>('/v1/audio/transcriptions', form);
  },
};
