(ns jepsen.flashraft
  "Jepsen tests for FlashRaft. One test is a workload (register, set, counter,
  list-append) under a combination of faults (kill, pause, partition) from
  Jepsen's combined nemesis package.

    lein run test --nodes-file hosts --workload register --nemesis kill,partition
    lein run test --local --nodes 3 --workload list-append --nemesis partition"
  (:require [clojure.string :as str]
            [jepsen [checker :as checker]
                    [cli :as cli]
                    [generator :as gen]
                    [os :as os]
                    [tests :as tests]]
            [jepsen.checker.timeline :as timeline]
            [jepsen.nemesis.combined :as nc]
            [jepsen.os.debian :as debian]
            [jepsen.flashraft [db :as db]
                              [local :as local]
                              [workloads :as workloads]]))

(def all-faults
  "The faults a test may combine, as jepsen.nemesis.combined names them."
  #{:kill :pause :partition})

(defn flashraft-test
  "Builds a Jepsen test map from parsed command-line options."
  [opts]
  (let [opts      (cond-> opts (:local opts) local/options)
        workload  ((workloads/all (:workload opts)) opts)
        db        (db/db opts)
        nemesis   (nc/nemesis-package
                    {:db        db
                     :nodes     (:nodes opts)
                     :faults    (:nemesis opts)
                     :interval  (:nemesis-interval opts)
                     :partition {:targets [:one :majority :majorities-ring]}
                     :kill      {:targets [:one :majority]}
                     :pause     {:targets [:one :majority]}})]
    (merge tests/noop-test
           opts
           {:name      (str "flashraft " (name (:workload opts)) " "
                            (str/join "," (map name (:nemesis opts)))
                            (when (:local opts) " local"))
            :os        (if (:local opts) os/noop debian/os)
            :db        db
            :client    (:client workload)
            :nemesis   (:nemesis nemesis)
            :checker   (checker/compose
                         {:perf       (checker/perf {:nemeses (:perf nemesis)})
                          :timeline   (timeline/html)
                          :stats      (checker/stats)
                          :exceptions (checker/unhandled-exceptions)
                          :workload   (:checker workload)})
            :generator (gen/phases
                         (->> (:generator workload)
                              (gen/stagger (/ (:rate opts)))
                              (gen/nemesis (:generator nemesis))
                              (gen/time-limit (:time-limit opts)))
                         ; Heal, let the cluster recover, then the final reads.
                         (gen/nemesis (:final-generator nemesis))
                         (gen/sleep 15)
                         (gen/clients (:final-generator workload)))}
           (when (:local opts)
             {:remote (local/remote opts)}))))

(defn parse-faults
  [spec]
  (->> (str/split spec #",")
       (remove str/blank?)
       (map keyword)
       set))

(def cli-opts
  "Options beyond Jepsen's own (nodes, time limit, concurrency...)."
  [[nil "--workload NAME" "register, set, counter or list-append."
    :default  :register
    :parse-fn keyword
    :validate [workloads/all (str "one of " (str/join ", " (map name (keys workloads/all))))]]
   [nil "--nemesis FAULTS" "Faults to combine, comma separated: kill, pause, partition."
    :default  #{:kill :partition}
    :parse-fn parse-faults
    :validate [#(every? all-faults %) "only kill, pause and partition"]]
   [nil "--nemesis-interval SECONDS" "Mean seconds between two faults."
    :default  10
    :parse-fn parse-long]
   [nil "--rate HZ" "Operations per second, all clients together."
    :default  100
    :parse-fn parse-double]
   [nil "--local" "Run against the network namespaces of `scripts/cluster.sh --netns` on this machine, not over SSH."]
   [nil "--checkout DIR" "The FlashRaft checkout: its server jar is installed on the nodes, its scripts run them."
    :default ".."]
   [nil "--base-port PORT" "The cluster's port base (FLASHRAFT_BASE_PORT of scripts/cluster.sh)."
    :default  7100
    :parse-fn parse-long]])

(defn -main
  [& args]
  (cli/run! (merge (cli/single-test-cmd {:test-fn  flashraft-test
                                         :opt-spec cli-opts})
                   (cli/serve-cmd))
            args))
