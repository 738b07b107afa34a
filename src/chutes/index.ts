export {
  CHAT_CLIENT_DEFAULTS,
  ChutesChatClient,
  type ChatMessage,
  type ChatRequest,
  type ChatStreamEvent,
  type ChutesClientOptions,
  type SamplingParams,
} from './chat-client.js';
export { buildChatBody, SAMPLING_KEYS } from './chat-request.js';
export { ChatStreamDecoder } from './chat-stream-decoder.js';
export {
  ChutesError,
  isChutesError,
  type ChutesErrorCode,
  type ChutesErrorOptions,
} from './errors.js';
export { chutesErrorFromResponse, codeForStatus, parseRetryAfter } from './http-errors.js';
export {
  buildImageBody,
  ChutesImageClient,
  IMAGE_CLIENT_DEFAULTS,
  type ChutesImageClientOptions,
  type GeneratedImage,
  type ImageRequest,
} from './image-client.js';
export { decodeBase64, detectImagePayload, type ImagePayload } from './image-payload.js';
export { sniffImageType, type ImageMime, type ImageType } from './image-sniff.js';
