/** /imagine: an image from the tenant's Chutes image model, posted where it was asked for. */
import { handleImagineJob, IMAGINE_OPTIONS } from '../imagine-job.js';
import { GENERATING } from '../user-messages.js';
import { defineCommand } from './definition.js';
import { everyone } from './preconditions.js';

export const imagine = defineCommand({
  name: 'imagine',
  description: 'Generate an image with a Chutes image model',
  options: IMAGINE_OPTIONS,
  precondition: everyone,
  working: GENERATING,
  job: handleImagineJob,
});
