(ns jepsen.flashraft.db
  "Runs FlashRaft on a node the way scripts/cluster.sh does: the configs come
  from `scripts/cluster.sh configure`, and each node runs
  `java -jar flashraft.jar server --config conf/nN.yaml` with a pid file and a
  log. Over SSH the jar and the node's config are installed under
  /opt/flashraft; in local mode the nodes run from the checkout, each in its
  network namespace."
  (:require [clojure.java.shell :as shell]
            [clojure.string :as str]
            [clojure.tools.logging :refer [info]]
            [jepsen [control :as c]
                    [core :as jepsen]
                    [db :as db]
                    [util :as util]]
            [jepsen.control.util :as cu]
            [jepsen.os.debian :as debian]))

(defn node-number
  "Node n1 is the first of the test's nodes."
  [test node]
  (inc (.indexOf ^java.util.List (vec (:nodes test)) node)))

(defn- dir
  "Where a node keeps its jar, config, data, log and pid file."
  [test]
  (if (:local test) (:run-dir test) "/opt/flashraft"))

(defn- script [test] (str (:checkout test) "/scripts/cluster.sh"))
(defn- local-jar [test] (str (:checkout test) "/server/target/flashraft.jar"))
(defn- jar [test] (if (:local test) (local-jar test) (str (dir test) "/flashraft.jar")))
(defn- conf-file [test node] (str (dir test) "/conf/n" (node-number test node) ".yaml"))
(defn- data-dir [test node] (str (dir test) "/data/n" (node-number test node)))
(defn- log-file [test node] (str (dir test) "/logs/n" (node-number test node) ".log"))
(defn- pid-file [test node] (str (dir test) "/pids/n" (node-number test node) ".pid"))

(defn gateway
  "A node's gateway address, host:port."
  [test node]
  (str node ":" (+ (:base-port test) 100 (node-number test node))))

(defn- cluster-sh!
  "Runs a verb of scripts/cluster.sh on the control machine, for this test's cluster."
  [test & args]
  (let [env    (merge (into {} (System/getenv))
                      {"FLASHRAFT_RUN"       (if (:local test) (:run-dir test) (str (:checkout test) "/run/jepsen"))
                       "FLASHRAFT_BASE_PORT" (str (:base-port test))}
                      (when-not (:local test)
                        {"FLASHRAFT_HOSTS" (str/join " " (:nodes test))}))
        result (apply shell/sh "bash" (script test) (concat args [:env env]))]
    (when-not (zero? (:exit result))
      (throw (ex-info (str "cluster.sh " (str/join " " args) " failed") result)))
    (info (str/trim (:out result)))))

(defn- configure!
  "Writes every node's config once, with the one template scripts/cluster.sh
  has; in local mode also makes the namespaces and the bridge."
  [test]
  (let [nodes (str (count (:nodes test)))]
    (if (:local test)
      (do (cluster-sh! test "configure" "--nodes" nodes "--netns")
          (cluster-sh! test "net-up"))
      (cluster-sh! test "configure" "--nodes" nodes))))

(defn- install!
  "Over SSH: a JRE, curl, the server jar and this node's config."
  [test node]
  (debian/install [:openjdk-17-jre-headless :curl])
  (c/exec :mkdir :-p (str (dir test) "/conf") (str (dir test) "/logs") (str (dir test) "/pids"))
  (c/upload (local-jar test) (jar test))
  (c/upload (str (:checkout test) "/run/jepsen/conf/n" (node-number test node) ".yaml") (conf-file test node)))

(defn- await-ready
  "Waits until the node answers on its metrics port and names a leader for every group it hosts."
  [test node]
  (let [url (str "http://" node ":" (+ (:base-port test) 200 (node-number test node)) "/status")]
    (util/await-fn (fn []
                     (let [status (c/exec :curl :-sf url)]
                       (when (re-find #"(?m)^\d+\s+\S+\s+-\s" status)
                         (throw (ex-info "a group has no leader yet" {:status status})))
                       status))
                   {:log-message (str "waiting for " node " to serve every group")
                    :timeout     180000})))

(defn- signal!
  [test node signal]
  (c/exec :kill (str "-" signal) (c/lit (str "$(cat " (pid-file test node) ")"))))

(defrecord DB []
  db/DB
  (setup! [this test node]
    (when (= node (jepsen/primary test))
      (configure! test))
    (jepsen/synchronize test)
    (when-not (:local test)
      (install! test node))
    (db/start! this test node)
    (await-ready test node))

  (teardown! [this test node]
    (db/kill! this test node)
    (c/exec :rm :-rf (data-dir test node) (log-file test node)))

  db/Process
  (start! [_ test node]
    (c/exec :mkdir :-p (str (dir test) "/logs") (str (dir test) "/pids"))
    (cu/start-daemon! {:logfile (log-file test node)
                       :pidfile (pid-file test node)
                       :chdir   (dir test)}
                      "java" "-Xms256m" "-Xmx768m" "-jar" (jar test) "server" "--config" (conf-file test node)))

  (kill! [_ test node]
    ; SIGKILL, as `scripts/cluster.sh kill` sends.
    (c/exec :bash :-c (str "kill -9 $(cat " (pid-file test node) ") 2>/dev/null; rm -f " (pid-file test node) "; true")))

  db/Pause
  (pause! [_ test node] (signal! test node "STOP"))
  (resume! [_ test node] (signal! test node "CONT"))

  db/LogFiles
  (log-files [_ test node]
    [(log-file test node)]))

(defn db
  "FlashRaft, installed and run as scripts/cluster.sh runs it."
  [_opts]
  (DB.))
