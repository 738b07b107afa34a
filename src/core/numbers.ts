/** Numbers in the text people read: "1,234", "1 image", "2 images". */
export const count = (n: number) => n.toLocaleString('en-US');

export const plural = (n: number, one: string, many: string) =>
  `${count(n)} ${n === 1 ? one : many}`;
