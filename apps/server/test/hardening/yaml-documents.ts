import { parseAllDocuments } from 'yaml';

/**
 * The documents of a YAML stream (docker-compose.yml, the k8s manifests, `kubectl kustomize`
 * output) as plain values, read by the `yaml` package as Compose reads them: YAML 1.2 with merge
 * keys (`<<: *app`). (Its YAML 1.1 mode reads `context: .` as NaN.) Where 1.1 and 1.2 differ
 * (unquoted yes/no, 0777), the comparison with PyYAML's `yq` in deployment.test.ts would fail.
 * An error or a warning in any document throws, naming its line.
 */
export function readYamlDocuments(source: string): unknown[] {
  const documents = parseAllDocuments(source, { merge: true, prettyErrors: true });
  if (!Array.isArray(documents)) return []; // a stream holding only comments
  return documents.map((document) => {
    const [problem] = [...document.errors, ...document.warnings];
    if (problem) throw problem;
    return document.toJS({ maxAliasCount: -1 });
  });
}
