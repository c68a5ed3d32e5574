// JSON from files as one clear line: where the syntax breaks (line and column), never the file's
// bytes. V8's own message quotes the text ("root:x:0:0"... is not valid JSON), which would put
// the content of whatever file a path points at into an error, and so into a dashboard answer.

export class JsonSyntaxError extends Error {
  readonly code = 'ERR_JSON';
}

/** Parses `text`; on a syntax error throws `${what} is not valid JSON (line L, column C)`. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    let where = 'it is empty or ends early';
    if (m) {
      const before = text.slice(0, Number(m[1])), line = before.split('\n').length;
      where = `line ${line}, column ${Number(m[1]) - before.lastIndexOf('\n')}`;
    } else if (text.trim().length > 0 && !/end of JSON input/.test((err as Error).message)) {
      where = 'it does not start as JSON';
    }
    throw new JsonSyntaxError(`${what} is not valid JSON (${where})`);
  }
}
