/**
 * Path globs (a site's excluded paths, pageview goals): `*` matches any characters but `/`,
 * `**` any characters at all; everything else matches itself. `/blog/*` matches `/blog/a`
 * but not `/blog/a/b`; `/blog/**` matches both; `/docs` matches only `/docs`.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        source += '.*';
        i++;
      } else source += '[^/]*';
    } else source += char.replace(/[\\^$.|?+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** One matcher for several globs (one regular expression), or null for none. */
export function globsMatcher(globs: readonly string[]): ((path: string) => boolean) | null {
  if (globs.length === 0) return null;
  const re = new RegExp(globs.map((g) => globToRegExp(g).source).join('|'));
  return (path) => re.test(path);
}
