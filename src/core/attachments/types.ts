/**
 * A file attached to a question, as the gateway saw it: where to fetch it and
 * what the platform said it is. Only this travels in the job; the bytes are
 * fetched by the worker (the gateway acknowledges within 3 s).
 */
export interface AttachmentRef {
  /** Where the platform serves it (a signed CDN link, a Slack `url_private`). */
  readonly url: string;
  readonly name: string;
  /** Bytes, as the platform said. */
  readonly size?: number;
  /** MIME type, as the platform said. */
  readonly contentType?: string;
}

/** What the service can do with a file. */
export type FileKind = 'image' | 'text' | 'pdf' | 'other';
