(ns jepsen.flashraft.local
  "Local mode: the nodes are the network namespaces `scripts/cluster.sh --netns`
  makes on this machine, one per node with its own address on a bridge. A
  Remote runs each node's commands inside its namespace (`ip netns exec`)
  instead of over SSH, so Jepsen's own iptables partitions cut the nodes apart
  exactly as they would cut hosts."
  (:require [clojure.java.io :as io]
            [clojure.java.shell :as shell]
            [clojure.string :as str]
            [jepsen.control.core :as core]))

(defn subnet
  "The /24 of a cluster's namespaces, as scripts/cluster.sh derives it from the port base."
  [base-port]
  (str "10.77." (mod (quot base-port 100) 250)))

(defn options
  "Local options: as many nodes as --nodes names, each at its namespace's
  address, and a run directory of their own in the checkout."
  [opts]
  (assoc opts
         :nodes   (mapv #(str (subnet (:base-port opts)) "." %) (range 1 (inc (count (:nodes opts)))))
         :run-dir (str (:checkout opts) "/run/jepsen")))

(defn namespace-of
  "The namespace scripts/cluster.sh made for the node at this address."
  [base-port host]
  (str "fr" base-port "n" (last (str/split host #"\."))))

(defn- copy-into
  "Copies a file to a path, or into it when it is a directory."
  [from to]
  (let [target (io/file to)
        target (if (.isDirectory target) (io/file target (.getName (io/file from))) target)]
    (io/copy (io/file from) target)))

(defrecord NetnsRemote [base-port netns]
  core/Remote
  (connect [this conn-spec]
    (assoc this :netns (namespace-of base-port (:host conn-spec))))

  (disconnect! [this]
    (assoc this :netns nil))

  (execute! [_ _context action]
    (let [result (apply shell/sh "ip" "netns" "exec" netns "bash" "-c" (:cmd action)
                        (when-let [in (:in action)] [:in in]))]
      (merge action (select-keys result [:exit :out :err]))))

  (upload! [_ _context local-paths remote-path _opts]
    (doseq [path (flatten [local-paths])]
      (copy-into path remote-path)))

  (download! [_ _context remote-paths local-path _opts]
    (doseq [path (flatten [remote-paths])]
      (copy-into path local-path))))

(defn remote
  "A Remote for the namespaces of a cluster with this port base."
  [opts]
  (->NetnsRemote (:base-port opts) nil))
