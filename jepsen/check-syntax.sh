#!/usr/bin/env bash
# Reads every Clojure file of the Jepsen suite with Clojure's own reader (Debian's `clojure`
# package). Jepsen and its libraries cannot be fetched here, so the suite cannot be loaded or
# run in CI; this catches what breaks a file before it is ever loaded: unbalanced forms, bad
# literals, stray characters. CI runs it (.ci/run); runs under real Jepsen are checked apart.
set -euo pipefail
cd "$(dirname "$0")"
jar=${CLOJURE_JAR:-/usr/share/java/clojure.jar}
[[ -f $jar ]] || { echo "no Clojure jar at $jar: apt-get install clojure" >&2; exit 1; }
mapfile -t files < <(find . -name '*.clj' | sort)
(( ${#files[@]} > 0 )) || { echo "no Clojure files under jepsen/" >&2; exit 1; }
# clojure.main would run a file named after its options as a script: the list goes by environment.
FILES=$(printf '%s\n' "${files[@]}") java -cp "$jar" clojure.main -e '
(binding [*read-eval* false]
  (doseq [file (clojure.string/split-lines (System/getenv "FILES"))]
    (with-open [in (java.io.PushbackReader. (clojure.java.io/reader file))]
      (let [forms (loop [n 0]
                    (if (= ::eof (read {:eof ::eof} in)) n (recur (inc n))))]
        (println (str file ": " forms " forms read"))))))'
