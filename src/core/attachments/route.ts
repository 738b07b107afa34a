/**
 * Which model answers a question with images: the chat model when it takes
 * images (the models list's `input_modalities`, never its name), else the
 * `vision_model` setting when that one does, else the chat model, for the
 * text, with a sentence saying it cannot see the images.
 */
import { attachmentText } from './messages.js';

export interface ModalityLookup {
  /** The model's `input_modalities` as Chutes lists them; undefined when it does not say. */
  inputModalities(model: string): Promise<readonly string[] | undefined>;
}

export interface VisionRoute {
  readonly model: string;
  /** The images go to the model. */
  readonly seesImages: boolean;
  /** What the reply says about it, if anything. */
  readonly note?: string;
}

export async function routeForImages(
  settings: { readonly model: string; readonly visionModel: string },
  hasImages: boolean,
  models: ModalityLookup | undefined,
  onError: (error: unknown) => void,
): Promise<VisionRoute> {
  if (!hasImages) return { model: settings.model, seesImages: false };
  const takesImages = async (model: string) => {
    try {
      return (await models?.inputModalities(model))?.includes('image') ?? false;
    } catch (error) {
      // No list: a text model sent images would refuse the whole question.
      onError(error);
      return false;
    }
  };
  if (await takesImages(settings.model)) return { model: settings.model, seesImages: true };
  const vision = settings.visionModel;
  if (vision !== '' && vision !== settings.model && (await takesImages(vision)))
    return {
      model: vision,
      seesImages: true,
      note: attachmentText.answeredBy(vision, settings.model),
    };
  return {
    model: settings.model,
    seesImages: false,
    note: attachmentText.cannotSee(settings.model),
  };
}

/**
 * The fallback models that may answer a question: with images, only those the
 * models list says take images (a text model would refuse the request).
 */
export async function fallbacksFor(
  fallbacks: readonly string[],
  hasImages: boolean,
  models: ModalityLookup | undefined,
): Promise<string[]> {
  if (!hasImages) return [...fallbacks];
  const seeing = await Promise.all(
    fallbacks.map(async (model) => {
      try {
        return (await models?.inputModalities(model))?.includes('image') ?? false;
      } catch {
        return false;
      }
    }),
  );
  return fallbacks.filter((_, i) => seeing[i]);
}
