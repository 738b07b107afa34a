export { startFakeChutes } from './fake-chutes.js';
export { closeSchema, createValidators, IMAGE_REQUEST_SCHEMA } from './validators.js';
export { encodeJpeg } from './jpeg.js';
export { encodePng } from './png.js';
export { imageBytes } from './image-route.js';
export { FAKE_MODEL_DEFAULTS, type FakeModel, type ModelState } from './model-list.js';
export type {
  ChatRequestBody,
  FakeChutes,
  FakeChutesOptions,
  ImageRequestBody,
  ImageMode,
  RecordedRequest,
  ScriptedChat,
  ScriptedError,
  ScriptedImage,
  ScriptedUsage,
  SentChunk,
} from './types.js';
