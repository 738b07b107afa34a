/**
 * Message components as far as the fake checks them (discord-api-docs:
 * component reference): at most 5 action rows (type 1) per message, each
 * with 1 to 5 buttons (type 2); a button has a style of 1 to 5, a label of
 * at most 80 characters, and a `custom_id` of 1 to 100 characters (styles 1
 * to 4; unique within the message) or a `url` (style 5), never both.
 */
import type { FieldError } from './errors.js';
import { maxLength } from './errors.js';

export const MAX_ROWS = 5;
export const MAX_BUTTONS_PER_ROW = 5;
export const MAX_CUSTOM_ID = 100;
export const MAX_LABEL = 80;

const field = (path: (string | number)[], code: string, message: string): FieldError => ({
  path,
  code,
  message,
});

export function checkComponents(components: unknown[], errors: FieldError[]): void {
  if (components.length > MAX_ROWS) errors.push(maxLength(['components'], MAX_ROWS));
  const seen = new Set<string>();
  components.forEach((row, r) => {
    const at = ['components', r];
    const { type, components: children } = (row ?? {}) as { type?: unknown; components?: unknown };
    if (type !== 1) {
      errors.push(field([...at, 'type'], 'UNION_TYPE_CHOICES', 'Value must be an action row.'));
      return;
    }
    if (!Array.isArray(children) || children.length === 0) {
      errors.push(field([...at, 'components'], 'BASE_TYPE_REQUIRED', 'This field is required'));
      return;
    }
    if (children.length > MAX_BUTTONS_PER_ROW)
      errors.push(maxLength([...at, 'components'], MAX_BUTTONS_PER_ROW));
    children.forEach((child, c) => {
      const path = [...at, 'components', c];
      const button = (child ?? {}) as Record<string, unknown>;
      if (button['type'] !== 2) {
        errors.push(field([...path, 'type'], 'UNION_TYPE_CHOICES', 'Only buttons are modelled.'));
        return;
      }
      const style = button['style'];
      if (typeof style !== 'number' || style < 1 || style > 5 || !Number.isInteger(style))
        errors.push(
          field([...path, 'style'], 'BASE_TYPE_CHOICES', 'Value must be one of (1, 2, 3, 4, 5).'),
        );
      const label = button['label'];
      if (label !== undefined && (typeof label !== 'string' || label.length > MAX_LABEL))
        errors.push(maxLength([...path, 'label'], MAX_LABEL));
      const customId = button['custom_id'];
      if (style === 5) {
        if (customId !== undefined)
          errors.push(
            field(
              [...path, 'custom_id'],
              'BUTTON_URL_CUSTOM_ID',
              'A link button takes no custom_id.',
            ),
          );
        if (typeof button['url'] !== 'string')
          errors.push(field([...path, 'url'], 'BASE_TYPE_REQUIRED', 'This field is required'));
        return;
      }
      if (typeof customId !== 'string' || customId.length === 0) {
        errors.push(field([...path, 'custom_id'], 'BASE_TYPE_REQUIRED', 'This field is required'));
        return;
      }
      if (customId.length > MAX_CUSTOM_ID)
        errors.push(maxLength([...path, 'custom_id'], MAX_CUSTOM_ID));
      if (seen.has(customId))
        errors.push(
          field(
            [...path, 'custom_id'],
            'COMPONENT_CUSTOM_ID_DUPLICATED',
            'Component custom id cannot be duplicated',
          ),
        );
      seen.add(customId);
    });
  });
}

/** The custom_ids of the buttons a message carries. */
export function customIdsOf(components: unknown[]): string[] {
  return components.flatMap((row) =>
    ((row as { components?: unknown[] }).components ?? []).flatMap((child) => {
      const id = (child as { custom_id?: unknown }).custom_id;
      return typeof id === 'string' ? [id] : [];
    }),
  );
}
