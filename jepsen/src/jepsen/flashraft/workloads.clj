(ns jepsen.flashraft.workloads
  "The four workloads of the chaos harness, as Jepsen workloads: a client over
  FlashRaft's Java client, a generator, and the checker Jepsen has for each.
  A FlashRaftException that may hide an applied write ends the operation
  :info; any other ends it :fail."
  (:require [jepsen [checker :as checker]
                    [client :as client]
                    [generator :as gen]
                    [independent :as independent]]
            [jepsen.checker.timeline :as timeline]
            [jepsen.tests.cycle.append :as append]
            [knossos.model :as model]
            [jepsen.flashraft.db :as db])
  (:import (io.flashraft.client ClientPolicy FlashRaftClient FlashRaftException Key Record)
           (io.flashraft.protocol BinOp BinSelection Bins RecordExistsAction Value Value$IntegerValue
                                  Value$ListValue WritePolicy)))

(def ns-name* "The namespace scripts/cluster.sh configures." "test")

(defn- connect
  [test node]
  (FlashRaftClient/connect ClientPolicy/DEFAULT (into-array String [(db/gateway test node)])))

(defn- key-of [set k] (Key/of ns-name* set (long k)))

(defn- read-long
  [^Record record bin]
  (when record
    (when-let [^Value$IntegerValue v (.get (.bins record) bin)]
      (.value v))))

(defn- read-list
  [^Record record bin]
  (if-let [^Value$ListValue l (and record (.get (.bins record) bin))]
    (mapv #(.value ^Value$IntegerValue %) (.elements l))
    []))

(defn- operate!
  [^FlashRaftClient conn ^Key k ops]
  (.operate conn k WritePolicy/DEFAULT ^java.util.List ops))

(defmacro ^:private with-outcome
  "Runs body, which answers the completed op; a FlashRaftException completes
  op :info when the write may have been applied, else :fail."
  [op & body]
  `(try ~@body
        (catch FlashRaftException e#
          (assoc ~op :type (if (.inDoubt e#) :info :fail)
                     :error [(str (.code e#)) (.getMessage e#)]))))

;; One Jepsen client for every workload: a connection, and the workload's
;; function from connection and op to the completed op.

(defrecord Client [^FlashRaftClient conn invoke]
  client/Client
  (open! [this test node] (assoc this :conn (connect test node)))
  (setup! [_ _])
  (invoke! [_ _ op] (with-outcome op (invoke conn op)))
  (teardown! [_ _])
  (close! [_ _] (.close conn)))

(defn- client-of [invoke] (->Client nil invoke))

;; ---- register: read, write and compare-and-set on independent keys ----------

(defn- register-op
  [^FlashRaftClient conn op]
  (let [[k v] (:value op)
        rk    (key-of "register" k)]
    (case (:f op)
      :read  (assoc op :type :ok :value (independent/tuple k (read-long (.get conn rk BinSelection/ALL) "v")))
      :write (do (.put conn rk (Bins/of "v" (Value/of (long v))) WritePolicy/DEFAULT)
                 (assoc op :type :ok))
      :cas   (let [[expected new] v
                   record (.get conn rk BinSelection/ALL)]
               (if (and record (= expected (read-long record "v")))
                 ; The swap holds only if no write came between: the generation says so.
                 (do (.put conn rk (Bins/of "v" (Value/of (long new)))
                           (WritePolicy. RecordExistsAction/UPDATE_ONLY (.generation (.meta record))
                                         WritePolicy/TTL_UNCHANGED))
                     (assoc op :type :ok))
                 (assoc op :type :fail :error :value-mismatch))))))

(defn register
  [opts]
  {:client    (client-of register-op)
   :checker   (independent/checker
                (checker/compose
                  {:linear   (checker/linearizable {:model (model/cas-register) :algorithm :linear})
                   :timeline (timeline/html)}))
   :generator (independent/concurrent-generator
                (count (:nodes opts))
                (range)
                (fn [_]
                  (->> (gen/mix [(repeat {:f :read})
                                 (map (fn [v] {:f :write :value v}) (repeatedly #(rand-int 5)))
                                 (map (fn [v] {:f :cas :value v}) (repeatedly #(vector (rand-int 5) (rand-int 5))))])
                       (gen/limit 200))))})

;; ---- set: unique adds to one record's list, then reads -----------------------

(defn- set-op
  [^FlashRaftClient conn op]
  (let [k (key-of "set" 0)]
    (case (:f op)
      :add  (do (operate! conn k [(BinOp/listAppend "s" (Value/of (long (:value op))))])
                (assoc op :type :ok))
      :read (assoc op :type :ok :value (set (read-list (.get conn k BinSelection/ALL) "s"))))))

(defn set-workload
  [_opts]
  {:client          (client-of set-op)
   :checker         (checker/set-full {:linearizable? true})
   :generator       (gen/mix [(map (fn [x] {:f :add :value x}) (range))
                              (repeat {:f :read})])
   :final-generator (gen/each-thread {:f :read})})

;; ---- counter: increments and reads -------------------------------------------

(defn- counter-op
  [^FlashRaftClient conn op]
  (let [k (key-of "counter" 0)]
    (case (:f op)
      :add  (do (operate! conn k [(BinOp/add "n" (Value/of (long (:value op))))])
                (assoc op :type :ok))
      :read (assoc op :type :ok :value (or (read-long (.get conn k BinSelection/ALL) "n") 0)))))

(defn counter
  [_opts]
  {:client          (client-of counter-op)
   :checker         (checker/counter)
   :generator       (gen/mix [(repeat {:f :add :value 1})
                              (repeat {:f :read})])
   :final-generator (gen/each-thread {:f :read})})

;; ---- list-append: Elle's transactions, one micro-op each ---------------------

(defn- apply-mop!
  [^FlashRaftClient conn [f k v :as mop]]
  (let [rk (key-of "append" k)]
    (case f
      :r      [f k (read-list (.get conn rk BinSelection/ALL) "l")]
      :append (do (operate! conn rk [(BinOp/listAppend "l" (Value/of (long v)))])
                  mop))))

(defn- append-op
  [conn op]
  (assoc op :type :ok :value (mapv #(apply-mop! conn %) (:value op))))

(defn list-append
  [_opts]
  ; A record is FlashRaft's unit of atomicity, so a transaction is one micro-op:
  ; Elle still checks strict serializability per key and across keys in real time.
  (assoc (append/test {:key-count          3
                       :min-txn-length     1
                       :max-txn-length     1
                       :max-writes-per-key 256
                       :consistency-models [:strict-serializable]})
         :client (client-of append-op)))

(def all
  "Workloads by name."
  {:register    register
   :set         set-workload
   :counter     counter
   :list-append list-append})
