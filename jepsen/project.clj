(defproject jepsen.flashraft "0.1.0-SNAPSHOT"
  :description "Jepsen tests for FlashRaft: register, set, counter and list-append
               under kills, pauses and partitions, over SSH or in local network namespaces."
  :license {:name "Apache-2.0"}
  :main jepsen.flashraft
  :dependencies [[org.clojure/clojure "1.11.1"]
                 [jepsen "0.3.5"]
                 ; The thin client, installed into ~/.m2 by `mvn install` in the checkout.
                 [io.flashraft/flashraft-client "0.1.0-SNAPSHOT"]]
  :jvm-opts ["-Xmx4g" "-server"])
