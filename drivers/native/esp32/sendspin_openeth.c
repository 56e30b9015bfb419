/*
 * Ethernet through the OpenCores MAC that Espressif's QEMU machines (esp32, esp32c3) emulate: ESP-IDF's openeth
 * driver (CONFIG_ETH_USE_OPENETH) with its generic PHY model, attached to the default Ethernet interface with its
 * DHCP client. The interface key is "ETH_DEF", the one Moddable's Net and mDNS look for, so everything above it is
 * what runs over Wi-Fi or a real PHY. Real boards use Moddable's ethernet module instead (manifest-ethernet.json):
 * on Moddable 8.2.3 its SPI path does not build for a C3 (HSPI_HOST) nor without defines.ethernet.power_pin, and
 * none of its paths knows this MAC; these two functions are all the emulator needs.
 */

#include "xsmc.h"
#include "xsHost.h"
#include "sdkconfig.h"
#include "esp_err.h"
#include "esp_event.h"
#include "esp_netif.h"
#include "esp_eth.h"

#if !CONFIG_ETH_USE_OPENETH
	#error "drivers/ethernet-openeth needs CONFIG_ETH_USE_OPENETH=y (sdkconfig/sdkconfig.defaults)"
#endif

static esp_netif_t *gOpenethNetif;

/* Start the MAC, the PHY and DHCP once; true when the driver runs (the address comes later). */
void xs_sendspin_openeth_start(xsMachine *the)
{
	static esp_eth_handle_t handle;
	xsmcSetFalse(xsResult);
	if (handle) {
		xsmcSetTrue(xsResult);
		return;
	}
	if (ESP_OK != esp_netif_init()) return;
	esp_err_t err = esp_event_loop_create_default();
	if ((ESP_OK != err) && (ESP_ERR_INVALID_STATE != err)) return;	// INVALID_STATE: it exists already

	esp_netif_config_t netifConfig = ESP_NETIF_DEFAULT_ETH();
	esp_netif_t *netif = esp_netif_new(&netifConfig);
	eth_mac_config_t macConfig = ETH_MAC_DEFAULT_CONFIG();
	eth_phy_config_t phyConfig = ETH_PHY_DEFAULT_CONFIG();
	phyConfig.autonego_timeout_ms = 100;	// the model's link is up at once
	phyConfig.reset_gpio_num = -1;	// no reset line (the default, GPIO 5, is the C3 profile's I2S word clock)
	esp_eth_mac_t *mac = esp_eth_mac_new_openeth(&macConfig);
	esp_eth_phy_t *phy = esp_eth_phy_new_generic(&phyConfig);
	if (!netif || !mac || !phy) return;
	esp_eth_config_t config = ETH_DEFAULT_CONFIG(mac, phy);
	esp_eth_handle_t h = NULL;
	if (ESP_OK != esp_eth_driver_install(&config, &h)) return;
	if ((ESP_OK != esp_netif_attach(netif, esp_eth_new_netif_glue(h))) || (ESP_OK != esp_eth_start(h))) return;
	handle = h;
	gOpenethNetif = netif;
	xsmcSetTrue(xsResult);
}

/* The interface's IPv4 address as text, or undefined while it has none. */
void xs_sendspin_openeth_address(xsMachine *the)
{
	esp_netif_ip_info_t info;
	if (!gOpenethNetif || (ESP_OK != esp_netif_get_ip_info(gOpenethNetif, &info)) || (0 == info.ip.addr))
		return;
	char text[16];
	esp_ip4addr_ntoa(&info.ip, text, sizeof(text));
	xsmcSetString(xsResult, text);
}
