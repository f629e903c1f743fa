"""driftmend: Kafka-native drift monitoring and self-healing for data feeds."""

__version__ = "0.1.0"
