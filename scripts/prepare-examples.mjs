console.log('examples prepared (placeholder)')
