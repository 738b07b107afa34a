/**
 * A PDF's text, through unpdf (pdf.js's serverless build: pure JavaScript,
 * no native canvas to install), page by page.
 */
import { extractText, getDocumentProxy } from 'unpdf';

export async function pdfText(bytes: Buffer): Promise<string> {
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  try {
    const { text } = await extractText(pdf, { mergePages: true });
    return text;
  } finally {
    await pdf.destroy();
  }
}
